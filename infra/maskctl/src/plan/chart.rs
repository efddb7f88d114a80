//! Numbers in use over the day, one line per policy, as an SVG. The scale is logarithmic: shared
//! pools are tens of numbers where exclusive ones are thousands, and both should be readable.

use std::path::Path;

use plotters::prelude::*;

use super::report::Curves;
use super::timeline::{Timeline, SLOT_SECONDS};

pub fn draw(curves: &Curves, title: &str, path: &Path) -> anyhow::Result<()> {
    let lines: [(&str, &Timeline, RGBColor, bool); 5] = [
        ("shared (Maskline)", &curves.shared, BLUE, false),
        (
            "shared + backups",
            &curves.shared_with_backups,
            GREEN,
            false,
        ),
        ("exclusive", &curves.exclusive, RED, false),
        (
            "single number per order",
            &curves.single_number,
            MAGENTA,
            false,
        ),
        (
            "one purchase per order (held; in use as exclusive)",
            &curves.one_per_order,
            BLACK,
            true,
        ),
    ];
    let hours = |slot: usize| (slot as f64 * f64::from(SLOT_SECONDS)) / 3600.0;
    let last_hour = lines
        .iter()
        .map(|(_, t, _, _)| hours(t.slots().len()))
        .fold(24.0, f64::max);
    let top = lines
        .iter()
        .map(|(_, t, _, _)| t.peak())
        .max()
        .unwrap_or(1)
        .max(10);

    let root = SVGBackend::new(path, (960, 540)).into_drawing_area();
    root.fill(&WHITE).map_err(chart_error)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..last_hour, (1.0..f64::from(top) * 1.5).log_scale())
        .map_err(chart_error)?;
    chart
        .configure_mesh()
        .x_desc("hour of day")
        .y_desc("numbers in use (log scale)")
        .x_label_formatter(&|h| format!("{h:.0}"))
        .y_label_formatter(&|n| format!("{n:.0}"))
        .draw()
        .map_err(chart_error)?;
    for (name, timeline, color, dashed) in lines {
        // Zero is off a log scale: an idle hour shows as one number.
        let points: Vec<(f64, f64)> = timeline
            .slots()
            .iter()
            .enumerate()
            .map(|(slot, v)| (hours(slot), f64::from(*v).max(1.0)))
            .collect();
        let style = color.stroke_width(2);
        let series = if dashed {
            chart.draw_series(DashedLineSeries::new(points, 6, 4, style))
        } else {
            chart.draw_series(LineSeries::new(points, style))
        }
        .map_err(chart_error)?;
        series
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(chart_error)?;
    root.present().map_err(chart_error)?;
    Ok(())
}

/// plotters' errors borrow the backend's error type; the message is all a caller can use.
fn chart_error(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("drawing the chart: {e}")
}
