//! Inline SVG charts for the pages: a trend line per KPI and plain bars. They are markup the
//! templates insert unescaped, so every text in them goes through [`xml`] here, and they use
//! presentation attributes only (no `style`), which the page's Content-Security-Policy
//! allows. The e-mail digest draws PNGs instead (mail clients do not show SVG); the values
//! and their formatting are the digest crate's ([`format_value`]).

use std::fmt::Write;

use deskpulse_digest::{Unit, format_value};

/// Escapes text for an XML text node or attribute value.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

const W: f64 = 360.0;
const H: f64 = 110.0;
/// Left margin (the value labels), bottom margin (the period labels).
const LEFT: f64 = 62.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 8.0;
const BOTTOM: f64 = 20.0;

/// A trend chart: `series` oldest first (gaps stay gaps), an optional dashed target line,
/// the first and last period's labels under it. `None` with fewer than two values.
pub(crate) fn trend(
    title: &str,
    unit: Unit,
    series: &[Option<f64>],
    target: Option<f64>,
    first_label: &str,
    last_label: &str,
) -> Option<String> {
    let values: Vec<f64> = series.iter().flatten().copied().collect();
    if values.len() < 2 {
        return None;
    }
    let mut lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if let Some(t) = target.filter(|t| t.is_finite()) {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    if !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    let pad = ((hi - lo) * 0.1).max(if hi.abs() > 0.0 { hi.abs() * 0.05 } else { 1.0 });
    let lo = if matches!(unit, Unit::Count | Unit::Seconds | Unit::Share) {
        (lo - pad).max(0.0)
    } else {
        lo - pad
    };
    // A share never reads above 100 % on its axis.
    let hi = if unit == Unit::Share && hi <= 1.0 {
        (hi + pad).min(1.0).max(lo + 1e-9)
    } else {
        hi + pad
    };
    let n = series.len().max(2);
    let x = |i: usize| LEFT + (W - LEFT - RIGHT) * i as f64 / (n - 1) as f64;
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v - lo) / (hi - lo));
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg class="trend" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{label}"><title>{label}</title>"##,
        label = xml(&format!(
            "{title}: {} periods, {first_label} to {last_label}",
            series.len()
        )),
    );
    // Axis: the top and bottom values, a baseline.
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{b}" x2="{r}" y2="{b}" stroke="#d1d5db"/><text x="{tx}" y="{ty1}" text-anchor="end" font-size="11" fill="#6b7280">{hi}</text><text x="{tx}" y="{ty2}" text-anchor="end" font-size="11" fill="#6b7280">{lo}</text>"##,
        b = H - BOTTOM,
        r = W - RIGHT,
        tx = LEFT - 6.0,
        ty1 = TOP + 9.0,
        ty2 = H - BOTTOM,
        hi = xml(&format_value(unit, hi)),
        lo = xml(&format_value(unit, lo)),
    );
    let _ = write!(
        s,
        r##"<text x="{LEFT}" y="{ly}" font-size="11" fill="#6b7280">{a}</text><text x="{r}" y="{ly}" text-anchor="end" font-size="11" fill="#6b7280">{z}</text>"##,
        ly = H - 4.0,
        r = W - RIGHT,
        a = xml(first_label),
        z = xml(last_label),
    );
    if let Some(t) = target.filter(|t| t.is_finite()) {
        let _ = write!(
            s,
            r##"<line class="target" x1="{LEFT}" y1="{ty:.1}" x2="{r}" y2="{ty:.1}" stroke="#dc2626" stroke-width="1.5" stroke-dasharray="6 4"><title>target {tv}</title></line>"##,
            ty = y(t),
            r = W - RIGHT,
            tv = xml(&format_value(unit, t)),
        );
    }
    // One line per run of consecutive values: a gap stays a gap.
    let mut run: Vec<(f64, f64)> = Vec::new();
    let flush = |run: &mut Vec<(f64, f64)>, s: &mut String| {
        if run.len() >= 2 {
            let pts: Vec<String> = run.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
            let _ = write!(
                s,
                r##"<polyline points="{}" fill="none" stroke="#2563eb" stroke-width="2"/>"##,
                pts.join(" ")
            );
        }
        run.clear();
    };
    for (i, v) in series.iter().enumerate() {
        match v {
            Some(v) if v.is_finite() => run.push((x(i), y(*v))),
            _ => flush(&mut run, &mut s),
        }
    }
    flush(&mut run, &mut s);
    for (i, v) in series.iter().enumerate() {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            let last = i + 1 == series.len();
            let _ = write!(
                s,
                r##"<circle cx="{:.1}" cy="{:.1}" r="{}" fill="{}"><title>{}</title></circle>"##,
                x(i),
                y(v),
                if last { 4.0 } else { 2.5 },
                if last { "#1e3a8a" } else { "#2563eb" },
                xml(&format_value(unit, v)),
            );
        }
    }
    s.push_str("</svg>");
    Some(s)
}

/// A horizontal bar, `share` of the full width (0 to 1).
pub(crate) fn bar(share: f64) -> String {
    let w = (share.clamp(0.0, 1.0) * 200.0).max(1.0);
    format!(
        r##"<svg class="bar" viewBox="0 0 200 12" width="200" height="12" aria-hidden="true"><rect x="0" y="0" width="{w:.1}" height="12" rx="2" fill="#60a5fa"/></svg>"##
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_draws_runs() {
        let svg = trend(
            "CSAT <b>",
            Unit::Share,
            &[Some(0.8), None, Some(0.9), Some(0.85)],
            Some(0.9),
            "2026-W40",
            "2026-W47",
        )
        .unwrap();
        assert!(svg.contains("CSAT &lt;b&gt;"), "{svg}");
        assert!(!svg.contains("<b>"), "{svg}");
        // One polyline (the second run), the lone first point a circle only.
        assert_eq!(svg.matches("<polyline").count(), 1, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
        assert!(svg.contains("stroke-dasharray"), "{svg}");
        assert!(!svg.contains("style="), "{svg}");
        assert!(trend("x", Unit::Count, &[Some(1.0), None], None, "a", "b").is_none());
    }

    #[test]
    fn xml_escapes_everything_that_matters() {
        assert_eq!(
            xml("<img src=x onerror=\"alert('1')\">&"),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;"
        );
    }
}
