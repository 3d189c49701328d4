//! `make bench`: Backbeat against the physical limit and against what users would run
//! instead, in one run, written up in docs/benchmarks.md (figures in
//! docs/benchmarks.csv). `make bench-quick` runs the same at a tenth of the size and
//! writes to target/bench/ instead.
//!
//! Built by `cargo bench` (release profile), so the `backbeat` binary it drives is the
//! optimized one. Everything it loads is made by `backbeat generate-catalog` and
//! `backbeat generate`, into databases named `bench_*` on the Postgres server given.

mod allocation;
mod bench;
mod dashboards;
mod frontend;
mod growth;
mod ingest;
mod report;

use anyhow::{Context, Result};
use bench::{Bench, Scale};
use clap::Parser;
use std::path::PathBuf;

#[derive(Parser)]
#[command(about = "Backbeat's benchmarks")]
struct Args {
    /// A tenth of the sizes: a run of a few minutes.
    #[arg(long)]
    quick: bool,
    /// Runs of each measurement (minimum and median are reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Postgres to run against, without a database name.
    #[arg(long, env = "BACKBEAT_BENCH_SERVER")]
    server: String,
    /// The Python virtual environment with pandas, SQLAlchemy and psycopg.
    #[arg(long, env = "BACKBEAT_BENCH_VENV")]
    venv: PathBuf,
    /// `cargo bench` passes this to every bench target.
    #[arg(long, hide = true)]
    bench: bool,
}

/// Every catalog of a full run has this many tracks, a quick run a tenth.
pub const TRACKS: usize = 1_000_000;
/// Lines in each ingestion file; the memory check's file has ten times as many.
const LINES: usize = 1_000_000;
/// Growth's last point: about this many facts.
const GROWTH_FACTS: usize = 30_000_000;

#[tokio::main]
async fn main() {
    if let Err(error) = run(Args::parse()).await {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root.join("target/bench");
    std::fs::create_dir_all(&dir)?;
    let mut bench = Bench {
        scale: Scale { tenth: args.quick, runs: args.runs.max(1) },
        server: args.server.trim_end_matches('/').to_string(),
        backbeat: PathBuf::from(env!("CARGO_BIN_EXE_backbeat")),
        dir: dir.clone(),
        figures: Vec::new(),
        verdicts: Vec::new(),
        notes: Vec::new(),
        growth: Vec::new(),
    };
    let started = std::time::Instant::now();
    let site = frontend::size(&mut bench)?;
    catalog(&bench).await?;
    let lines = bench.scale.of(LINES);
    let cases = ingest::prepare(&bench, lines).await?;
    ingest::run_all(&mut bench, &cases, &args.venv).await?;

    // Growth's first point: one file's facts.
    bench.fresh_database(ingest::TARGET, Some(ingest::CATALOG)).await?;
    let first = growth::load(&bench, &cases[0]).await?;
    growth::point(&mut bench, &site, &first).await?;

    let large = ingest::memory(&mut bench, &cases[0], lines * 10).await?;
    let next = allocation::run(&mut bench, &large, &cases[1]).await?;
    // The dashboards at the size (10M facts; a tenth in a quick run): growth's
    // second point. Then more months of the large file's size, to the third.
    let facts = growth::facts(&bench, ingest::TARGET).await?;
    let load = dashboards::run(&mut bench, ingest::TARGET, &site, facts).await?;
    growth::record(&mut bench, facts, &next, load.p99_ms);
    let until = bench.scale.of(GROWTH_FACTS) as i64;
    let last = growth::grow(&bench, large.spec.month, lines * 10, until).await?;
    growth::point(&mut bench, &site, &last).await?;
    bench.drop_database(ingest::TARGET).await?;
    // Nothing left behind on the server: a full run's catalog is a million tracks.
    bench.drop_database(ingest::CATALOG).await?;

    let elapsed = started.elapsed();
    let (markdown, csv) = if args.quick {
        (dir.join("benchmarks-quick.md"), dir.join("benchmarks-quick.csv"))
    } else {
        (root.join("docs/benchmarks.md"), root.join("docs/benchmarks.csv"))
    };
    let chart = markdown.with_file_name(if args.quick {
        "benchmarks-growth-quick.svg"
    } else {
        "benchmarks-growth.svg"
    });
    growth::chart(&bench.growth, &chart)?;
    report::write(&bench, elapsed, &markdown, &csv, &chart).await?;
    println!("Written {} and {}", markdown.display(), csv.display());
    Ok(())
}

/// The catalog every benchmark starts from, made once per run.
async fn catalog(bench: &Bench) -> Result<()> {
    let tracks = bench.scale.of(TRACKS);
    println!("catalog: {tracks} tracks");
    bench.fresh_database(ingest::CATALOG, None).await?;
    bench.backbeat(ingest::CATALOG, &["migrate"])?;
    let tracks = tracks.to_string();
    let month = ingest::month().to_string();
    bench
        .backbeat(
            ingest::CATALOG,
            &["generate-catalog", "--tracks", &tracks, "--month", &month, "--through", "2026-12"],
        )
        .context("generating the catalog")?;
    Ok(())
}
