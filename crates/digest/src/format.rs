//! Number formatting shared by every renderer, so text, HTML and Slack say the same thing.

/// `45s`, `12m`, `1h 5m`, `2d 3h`.
pub fn duration(secs: f64) -> String {
    let s = secs.abs().round() as u64;
    let sign = if secs < 0.0 && s > 0 { "−" } else { "" };
    let body = if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", (s + 30) / 60)
    } else if s < 86_400 {
        let m = (s + 30) / 60;
        match (m / 60, m % 60) {
            (h, 0) => format!("{h}h"),
            (h, m) => format!("{h}h {m}m"),
        }
    } else {
        let h = (s + 1800) / 3600;
        match (h / 24, h % 24) {
            (d, 0) => format!("{d}d"),
            (d, h) => format!("{d}d {h}h"),
        }
    };
    format!("{sign}{body}")
}

/// A share in [0, 1] as a percentage with at most one decimal: `85%`, `71.4%`.
pub fn percent(share: f64) -> String {
    format!("{}%", one_decimal(share * 100.0))
}

/// At most one decimal, no trailing `.0`, a real minus sign.
pub fn one_decimal(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    let r = if r == 0.0 { 0.0 } else { r }; // no "-0"
    let s = if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    };
    s.replace('-', "−")
}

/// Two decimals at most (costs): `14.2`, `1,234.57` is not attempted.
pub fn money(x: f64, currency: &str) -> String {
    let r = (x * 100.0).round() / 100.0;
    let s = if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.2}")
    };
    format!("{s} {currency}")
}

/// A signed count: `+12`, `−3`, `0`.
pub fn signed_count(x: f64) -> String {
    let r = x.round() as i64;
    match r.signum() {
        1 => format!("+{r}"),
        -1 => format!("−{}", -r),
        _ => "0".to_owned(),
    }
}

/// A signed number with at most one decimal: `+2.5`, `−0.3`.
pub fn signed(x: f64) -> String {
    let s = one_decimal(x);
    if x > 0.0 && s != "0" {
        format!("+{s}")
    } else {
        s
    }
}

/// Eight-level text sparkline of a series (oldest first); gaps are blanks.
pub fn sparkline(series: &[Option<f64>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let values: Vec<f64> = series.iter().flatten().copied().collect();
    let (Some(min), Some(max)) = (
        values.iter().copied().reduce(f64::min),
        values.iter().copied().reduce(f64::max),
    ) else {
        return String::new();
    };
    series
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if (max - min).abs() < f64::EPSILON => BARS[3],
            Some(v) => BARS[(((v - min) / (max - min)) * 7.0).round().clamp(0.0, 7.0) as usize],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration(45.0), "45s");
        assert_eq!(duration(2700.0), "45m");
        assert_eq!(duration(3600.0), "1h");
        assert_eq!(duration(5430.0), "1h 31m");
        assert_eq!(duration(90_000.0), "1d 1h");
        assert_eq!(duration(-900.0), "−15m");
    }

    #[test]
    fn numbers() {
        assert_eq!(percent(0.85), "85%");
        assert_eq!(percent(0.714_28), "71.4%");
        assert_eq!(signed_count(-3.0), "−3");
        assert_eq!(signed(2.46), "+2.5");
        assert_eq!(signed(-0.04), "0");
        assert_eq!(money(14.2, "EUR"), "14.20 EUR");
    }

    #[test]
    fn sparklines() {
        assert_eq!(sparkline(&[Some(0.0), Some(7.0), None, Some(3.5)]), "▁█ ▅");
        assert_eq!(sparkline(&[Some(2.0), Some(2.0)]), "▄▄");
        assert_eq!(sparkline(&[None]), "");
    }
}
