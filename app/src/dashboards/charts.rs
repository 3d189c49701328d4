//! Charts drawn on the server as SVG with plotters: the page embeds the markup, and the
//! browser draws the labels (plotters writes them as SVG text, so the server needs no
//! font files). Colours are the Okabe-Ito palette, which stays distinct for readers
//! with colour-blindness. Numbers become floats here, for drawing only.

use plotters::prelude::*;

/// Okabe-Ito: blue, orange, green, reddish purple, sky blue, vermillion.
const PALETTE: [RGBColor; 6] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0xD5, 0x5E, 0x00),
];

const SIZE: (u32, u32) = (720, 320);

/// A line per month of `points` (label, value), titled, with its y axis in `unit`.
pub fn monthly_line(title: &str, unit: &str, legend: &str, points: &[(String, f64)]) -> String {
    let mut svg = String::new();
    if let Err(e) = draw_line(&mut svg, title, unit, legend, points) {
        tracing::error!(error = %e, title, "a chart could not be drawn");
        return String::new();
    }
    svg
}

fn draw_line(
    svg: &mut String,
    title: &str,
    unit: &str,
    legend: &str,
    points: &[(String, f64)],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let top = points.iter().map(|p| p.1).fold(0.0, f64::max).max(1.0) * 1.1;
    let last = points.len().saturating_sub(1).max(1);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0..last, 0.0..top)?;
    chart
        .configure_mesh()
        .x_labels(points.len().min(12))
        .x_label_formatter(&|i| points.get(*i).map(|p| p.0.clone()).unwrap_or_default())
        .x_desc("Month")
        .y_desc(unit)
        .draw()?;
    chart
        .draw_series(LineSeries::new(
            points.iter().enumerate().map(|(i, p)| (i, p.1)),
            PALETTE[0].stroke_width(2),
        ))?
        .label(legend)
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], PALETTE[0].stroke_width(2)));
    chart.configure_series_labels().background_style(WHITE).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}

/// Horizontal bars of `bars` (label, value), largest first as given, in `unit`.
pub fn bars(title: &str, unit: &str, bars: &[(String, f64)]) -> String {
    let mut svg = String::new();
    if let Err(e) = draw_bars(&mut svg, title, unit, bars) {
        tracing::error!(error = %e, title, "a chart could not be drawn");
        return String::new();
    }
    svg
}

fn draw_bars(
    svg: &mut String,
    title: &str,
    unit: &str,
    bars: &[(String, f64)],
) -> Result<(), Box<dyn std::error::Error>> {
    let height = 60 + 28 * bars.len().max(1) as u32;
    let root = SVGBackend::with_string(svg, (SIZE.0, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let top = bars.iter().map(|b| b.1).fold(0.0, f64::max).max(1.0) * 1.1;
    // Segment 0 is at the bottom: the first bar is drawn in the top one.
    let n = bars.len();
    let at = |segment: usize| n - 1 - segment;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(130)
        .build_cartesian_2d(0.0..top, (0..n).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n.max(1))
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) if *i < n => bars[at(*i)].0.clone(),
            _ => String::new(),
        })
        .x_desc(unit)
        .draw()?;
    chart.draw_series((0..n).map(|segment| {
        let colour = PALETTE[at(segment) % PALETTE.len()];
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(segment)),
                (bars[at(segment)].1, SegmentValue::Exact(segment + 1)),
            ],
            colour.filled(),
        );
        bar.set_margin(4, 4, 0, 0);
        bar
    }))?;
    root.present()?;
    Ok(())
}
