//! Growth: how loading and the dashboards' latency change as the facts pile up, at
//! about 1M, 10M and 30M facts (a tenth in a quick run). At each point: the rows per
//! second of the file that brought the database there (loaded on top of what it held),
//! and the dashboards' p99 at the steady rate. Drawn with plotters beside the table.

use crate::allocation::Allocated;
use crate::bench::{Bench, seconds};
use crate::dashboards::{self, Server};
use crate::ingest::{self, Case};
use anyhow::{Context, Result};
use app::domain::Month;
use plotters::prelude::*;
use server::generate::Spec;
use std::path::Path;

/// One size of the data.
#[derive(Debug, Clone)]
pub struct Point {
    pub facts: i64,
    /// Lines of the file loaded last, and the facts there were before it.
    pub file_lines: u64,
    pub facts_before: i64,
    pub ingest_rows_per_second: f64,
    pub p99_ms: f64,
}

/// Facts in `database`.
pub async fn facts(bench: &Bench, database: &str) -> Result<i64> {
    let pool = bench.pool(database).await?;
    let n = sqlx::query_scalar("SELECT count(*) FROM stream_facts").fetch_one(&pool).await?;
    pool.close().await;
    Ok(n)
}

/// A file loaded on top of what the target held, then allocated.
pub struct Loaded {
    pub rows_per_second: f64,
    pub facts_before: i64,
    pub lines: u64,
    pub allocated: Allocated,
}

/// Loads `case` into `ingest::TARGET` on top of what it holds and allocates it.
pub async fn load(bench: &Bench, case: &Case) -> Result<Loaded> {
    let facts_before = facts(bench, ingest::TARGET).await?;
    let path = case.path.display().to_string();
    let measured = bench.backbeat(ingest::TARGET, &["ingest", "--defer-allocation", &path])?;
    let allocated = crate::allocation::allocate(bench, case.name).await?;
    Ok(Loaded {
        rows_per_second: case.expected.rows as f64 / seconds(measured.wall),
        facts_before,
        lines: case.expected.rows,
        allocated,
    })
}

/// The dashboards' p99 at the steady rate over `ingest::TARGET` as it stands, with the
/// loading rate that brought it there: one point of the growth table.
pub async fn point(bench: &mut Bench, site: &Path, loaded: &Loaded) -> Result<()> {
    let facts = facts(bench, ingest::TARGET).await?;
    println!("growth: {facts} facts");
    let server = Server::start(bench, ingest::TARGET, site).await?;
    let requests = dashboards::requests(bench, ingest::TARGET, &server).await?;
    let load = dashboards::steady(bench, &server, &requests, &format!("{facts} facts")).await?;
    record(bench, facts, loaded, load.p99_ms);
    Ok(())
}

pub fn record(bench: &mut Bench, facts: i64, loaded: &Loaded, p99_ms: f64) {
    let point = Point {
        facts,
        file_lines: loaded.lines,
        facts_before: loaded.facts_before,
        ingest_rows_per_second: loaded.rows_per_second,
        p99_ms,
    };
    println!(
        "  {} facts: loading {:.0} rows/s, dashboards p99 {:.1} ms",
        point.facts, point.ingest_rows_per_second, point.p99_ms
    );
    bench.growth.push(point);
}

/// Loads DSR files of `lines` lines, a month each after `after`, until the target holds
/// at least `until` facts; returns the last file's load.
pub async fn grow(bench: &Bench, after: Month, lines: usize, until: i64) -> Result<Loaded> {
    let mut month = after;
    loop {
        month = month.next();
        let spec = Spec { platform: app::domain::Platform::Spotify, month, rows: lines, seed: 2 };
        let case = ingest::case(bench, "DDEX DSR (Spotify), growth", "dsr", spec).await?;
        println!("growth: loading {} lines for {month}", case.expected.rows);
        let loaded = load(bench, &case).await?;
        if loaded.facts_before + loaded.lines as i64 >= until {
            return Ok(loaded);
        }
    }
}

/// The table and chart of the growth points, for the report.
pub fn chart(points: &[Point], svg: &Path) -> Result<()> {
    let root = SVGBackend::new(svg, (900, 340)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(450);
    let millions = |p: &Point| p.facts as f64 / 1e6;
    let max_x = points.iter().map(millions).fold(0.0, f64::max) * 1.1;
    let panel = |area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
                 title: &str,
                 unit: &str,
                 value: &dyn Fn(&Point) -> f64,
                 colour: RGBColor|
     -> Result<()> {
        let max_y = points.iter().map(value).fold(0.0, f64::max) * 1.2;
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..max_x, 0.0..max_y.max(1.0))?;
        chart
            .configure_mesh()
            .x_desc("facts loaded (millions)")
            .y_desc(unit)
            .light_line_style(WHITE)
            .draw()?;
        let series: Vec<(f64, f64)> = points.iter().map(|p| (millions(p), value(p))).collect();
        chart.draw_series(LineSeries::new(series.clone(), colour.stroke_width(2)))?;
        chart.draw_series(series.iter().map(|&(x, y)| Circle::new((x, y), 4, colour.filled())))?;
        Ok(())
    };
    // Okabe-Ito blue and vermillion, as the app's own charts.
    panel(
        &left,
        "Loading",
        "rows per second",
        &|p| p.ingest_rows_per_second,
        RGBColor(0, 114, 178),
    )?;
    panel(&right, "Dashboards, p99 at 100/s", "milliseconds", &|p| p.p99_ms, RGBColor(213, 94, 0))?;
    root.present().context("writing the growth chart")?;
    Ok(())
}
