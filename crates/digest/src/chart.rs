//! The 12-period trend chart of a headline KPI, as a PNG (plotters' bitmap backend, the
//! embedded DejaVu Sans through `ab_glyph`: no system font is needed).

use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::model::{Kpi, Unit, format_value};

/// The embedded font (DejaVu Sans; licence in `assets/`).
static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Pixel size of a chart; the HTML shows it at half size (crisp on high-DPI screens).
pub const WIDTH: u32 = 520;
pub const HEIGHT: u32 = 180;

#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart of {kpi}: {detail}")]
pub struct ChartError {
    pub kpi: String,
    pub detail: String,
}

fn register_font() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .map_err(|_| "the embedded font is not a valid TTF".to_owned())
    })
    .clone()
}

/// Whether `kpi` has enough of a series to chart (two values at least).
pub fn chartable(kpi: &Kpi) -> bool {
    kpi.series.iter().flatten().count() >= 2
}

/// Draws the trend of `kpi` (oldest period left, this period right, its target as a dashed
/// red line) and encodes it as PNG.
pub fn trend_png(kpi: &Kpi) -> Result<Vec<u8>, ChartError> {
    let err = |detail: String| ChartError {
        kpi: kpi.id.to_owned(),
        detail,
    };
    register_font().map_err(err)?;
    let (w, h) = (WIDTH, HEIGHT);
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    draw(kpi, &mut rgb, (w, h)).map_err(err)?;
    encode_png(&rgb, w, h).map_err(err)
}

fn draw(kpi: &Kpi, buf: &mut [u8], size: (u32, u32)) -> Result<(), String> {
    let e = |x: &dyn std::fmt::Display| x.to_string();
    let root = BitMapBackend::with_buffer(buf, size).into_drawing_area();
    root.fill(&WHITE).map_err(|x| e(&x))?;
    let n = kpi.series.len();
    // Durations are drawn in minutes, so the axis ticks fall on round minutes (1h 10m,
    // not 1h 7m); labels convert back.
    let scale = if kpi.unit == Unit::Seconds { 60.0 } else { 1.0 };
    let values: Vec<f64> = kpi.series.iter().flatten().map(|v| v / scale).collect();
    let target = target_line(kpi).map(|t| t / scale);
    let mut lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if let Some(t) = target {
        lo = lo.min(t);
        hi = hi.max(t);
    }
    if !lo.is_finite() || !hi.is_finite() {
        return Err("no values".into());
    }
    let pad = ((hi - lo) * 0.15).max(if hi.abs() > 0.0 { hi.abs() * 0.05 } else { 1.0 });
    let (lo, hi) = (
        if kpi.unit == Unit::Count || kpi.unit == Unit::Seconds || kpi.unit == Unit::Share {
            (lo - pad).max(0.0)
        } else {
            lo - pad
        },
        hi + pad,
    );
    let unit = kpi.unit;
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .margin_right(26)
        .margin_top(18)
        .x_label_area_size(34)
        .y_label_area_size(96)
        .build_cartesian_2d(0f64..(n.max(2) - 1) as f64, lo..hi)
        .map_err(|x| e(&x))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(225, 225, 225))
        .axis_style(RGBColor(170, 170, 170))
        .x_labels(n.min(6))
        .y_labels(3)
        .x_label_formatter(&|x| {
            let back = n as i64 - 1 - x.round() as i64;
            if back == 0 {
                "now".to_owned()
            } else {
                format!("−{back}")
            }
        })
        .y_label_formatter(&|y| format_value(unit, *y * scale))
        .label_style(("sans-serif", 24).into_font().color(&RGBColor(90, 90, 90)))
        .draw()
        .map_err(|x| e(&x))?;
    if let Some(t) = target {
        let red = RGBColor(200, 40, 40);
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, t), ((n.max(2) - 1) as f64, t)],
                8,
                6,
                red.stroke_width(2),
            ))
            .map_err(|x| e(&x))?;
    }
    let blue = RGBColor(37, 99, 235);
    // One line per run of consecutive values: a gap stays a gap.
    let mut run: Vec<(f64, f64)> = Vec::new();
    let mut runs = Vec::new();
    for (i, v) in kpi.series.iter().enumerate() {
        match v {
            Some(v) => run.push((i as f64, *v / scale)),
            None if !run.is_empty() => runs.push(std::mem::take(&mut run)),
            None => {}
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    for r in runs {
        chart
            .draw_series(LineSeries::new(r.clone(), blue.stroke_width(3)))
            .map_err(|x| e(&x))?;
        chart
            .draw_series(r.iter().map(|p| Circle::new(*p, 4, blue.filled())))
            .map_err(|x| e(&x))?;
    }
    root.present().map_err(|x| e(&x))?;
    Ok(())
}

/// The target on the chart's scale. None when the target was judged on business time: the
/// series is the calendar median, and a calendar line above a target it met would read as a
/// miss.
fn target_line(kpi: &Kpi) -> Option<f64> {
    kpi.target
        .as_ref()
        .filter(|t| !t.business_time)
        .map(|t| t.value)
        .filter(|v| v.is_finite())
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Best);
    let mut writer = enc.write_header().map_err(|x| x.to_string())?;
    writer.write_image_data(rgb).map_err(|x| x.to_string())?;
    writer.finish().map_err(|x| x.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Polarity, Target, TargetVerdict};

    fn kpi(unit: Unit, target: f64, series: Vec<Option<f64>>) -> Kpi {
        Kpi {
            id: "x",
            label: "X",
            unit,
            polarity: Polarity::LowerIsBetter,
            value: series.last().copied().flatten(),
            n: 1,
            detail: None,
            previous: None,
            change: None,
            target: Some(Target {
                kpi: "x".into(),
                status: TargetVerdict::Met,
                text: format!("≤ {target}"),
                value: target,
                judged: None,
                business_time: false,
            }),
            series,
            anomaly: None,
            trailing_mean: None,
        }
    }

    #[test]
    fn draws_a_png_with_gaps() {
        let k = kpi(
            Unit::Seconds,
            3600.0,
            vec![Some(3000.0), None, Some(4000.0), Some(3500.0)],
        );
        let png = trend_png(&k).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}
