//! Charts drawn on the server as SVG with plotters: the page embeds the markup, and the
//! browser draws the labels (plotters writes them as SVG text, so the server needs no
//! font files). Colours are the Okabe-Ito palette, which stays distinct for readers
//! with colour-blindness. Numbers become floats here, for drawing only. No data draws
//! no chart (an empty string): the page says why instead.

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
    if points.is_empty() {
        return String::new();
    }
    svg(title, |svg| draw_line(svg, title, unit, legend, points))
}

type Drawn = Result<(), Box<dyn std::error::Error>>;

/// The SVG that `draw` writes, or nothing (logged) if plotters refuses.
fn svg(title: &str, draw: impl FnOnce(&mut String) -> Drawn) -> String {
    let mut svg = String::new();
    if let Err(e) = draw(&mut svg) {
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
) -> Drawn {
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
        .y_label_formatter(&|v| axis_number(*v))
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
    if bars.is_empty() {
        return String::new();
    }
    svg(title, |svg| draw_bars(svg, title, unit, bars))
}

fn draw_bars(svg: &mut String, title: &str, unit: &str, bars: &[(String, f64)]) -> Drawn {
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
        .x_label_formatter(&|v| axis_number(*v))
        .draw()?;
    chart.draw_series((0..n).map(|segment| {
        let colour = PALETTE[at(segment) % PALETTE.len()];
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(segment)),
                (bars[at(segment)].1.max(0.0), SegmentValue::Exact(segment + 1)),
            ],
            colour.filled(),
        );
        bar.set_margin(4, 4, 0, 0);
        bar
    }))?;
    root.present()?;
    Ok(())
}

/// Bars per month, one segment per series stacked in `series` order (largest first),
/// with a legend: `series` holds each one's value for every month of `months`.
pub fn stacked_months(
    title: &str,
    unit: &str,
    months: &[String],
    series: &[(String, Vec<f64>)],
) -> String {
    if months.is_empty() {
        return String::new();
    }
    svg(title, |svg| draw_stacked(svg, title, unit, months, series))
}

fn draw_stacked(
    svg: &mut String,
    title: &str,
    unit: &str,
    months: &[String],
    series: &[(String, Vec<f64>)],
) -> Drawn {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let n = months.len();
    let total =
        |i: usize| series.iter().map(|(_, v)| v.get(i).copied().unwrap_or(0.0).max(0.0)).sum();
    // Headroom above the tallest bar for the legend.
    let top = (0..n).map(total).fold(0.0, f64::max).max(1.0) * (1.0 + 0.08 * series.len() as f64);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d((0..n.max(1)).into_segmented(), 0.0..top)?;
    // Every month is labelled when they fit; otherwise every other, then every third.
    let step = n.div_ceil(12).max(1);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n.max(1))
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) if *i < n && i % step == 0 => months[*i].clone(),
            _ => String::new(),
        })
        .x_desc("Accounting month")
        .y_desc(unit)
        .y_label_formatter(&|v| axis_number(*v))
        .draw()?;
    let mut base = vec![0.0; n];
    for (index, (name, values)) in series.iter().enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        let bars: Vec<Rectangle<(SegmentValue<usize>, f64)>> = (0..n)
            .map(|i| {
                // Negative months (returns, corrections) draw as nothing: the table shows them.
                let value = values.get(i).copied().unwrap_or(0.0).max(0.0);
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), base[i]),
                        (SegmentValue::Exact(i + 1), base[i] + value),
                    ],
                    colour.filled(),
                );
                bar.set_margin(0, 0, 3, 3);
                base[i] += value;
                bar
            })
            .collect();
        chart
            .draw_series(bars)?
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// An axis tick: whole numbers with thousands separators, two decimals below 10.
fn axis_number(value: f64) -> String {
    if value.abs() < 10.0 && value.fract() != 0.0 {
        return format!("{value:.2}");
    }
    crate::pages::thousands(value.round() as i64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn axis_numbers_read_like_the_tables() {
        assert_eq!(super::axis_number(8000.0), "8,000");
        assert_eq!(super::axis_number(2.5), "2.50");
        assert_eq!(super::axis_number(0.0), "0");
        assert_eq!(super::axis_number(-12345.4), "-12,345");
    }
}
