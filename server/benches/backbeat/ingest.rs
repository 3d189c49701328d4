//! Ingestion: `backbeat ingest` of a million-line file per format, against `psql \copy`
//! of the same rows into the same table (the physical limit) and against a pandas
//! loader (what a data team would otherwise run); and peak memory at ten times the size.

use crate::bench::{Bench, Measured, measure, median, mib, run, seconds};
use anyhow::{Context, Result, bail};
use app::domain::{Month, Platform};
use rust_decimal::Decimal;
use server::generate::{Report, Spec, command::catalog};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const CATALOG: &str = "bench_catalog";
pub const TARGET: &str = "bench_ingest";
const COLUMNS: &str = "report_file_id, line_number, accounting_month, period_start, period_end, \
    platform, territory, usage_type, isrc, upc, platform_track_id, track_id, title, artist, units, \
    gross, currency, collector, label_id";

/// One report file to load, and what it holds according to the generator that wrote it.
pub struct Case {
    pub name: &'static str,
    /// The pandas loader's name for the format.
    pub format: &'static str,
    pub spec: Spec,
    pub path: PathBuf,
    pub expected: Totals,
}

#[derive(Debug, Default, PartialEq)]
pub struct Totals {
    pub rows: u64,
    pub gross: BTreeMap<String, Decimal>,
}

/// The month every ingestion file reports; the memory check's large file uses the next.
pub fn month() -> Month {
    "2026-01".parse().expect("a valid month")
}

/// Writes each case's file with `backbeat generate` and works out its totals.
pub async fn prepare(bench: &Bench, rows: usize) -> Result<Vec<Case>> {
    let cases = [
        ("DDEX DSR (Spotify)", "dsr", Platform::Spotify),
        ("Apple Music financial", "apple", Platform::AppleMusic),
        ("YouTube music revenue", "youtube", Platform::YouTube),
    ];
    let mut prepared = Vec::new();
    for (name, format, platform) in cases {
        let spec = Spec { platform, month: month(), rows, seed: 1 };
        prepared.push(case(bench, name, format, spec).await?);
    }
    Ok(prepared)
}

pub async fn case(
    bench: &Bench,
    name: &'static str,
    format: &'static str,
    spec: Spec,
) -> Result<Case> {
    let out = bench.dir.join("files").join(format!("{}-{}", spec.rows, spec.month));
    let platform = spec.platform.code();
    let (month, rows) = (spec.month.to_string(), spec.rows.to_string());
    let args = ["generate", "--platform", platform, "--month", &month, "--rows", &rows];
    let out_arg = out.display().to_string();
    let pool = bench.pool(CATALOG).await?;
    let tracks = catalog(&pool).await?;
    pool.close().await;
    let report = Report::plan(spec, &tracks);
    let path = out.join(report.file_name());
    if !path.exists() {
        println!("  writing {}", path.display());
        bench.backbeat(CATALOG, &[&args[..], &["--out", &out_arg]].concat())?;
    }
    let mut expected = Totals::default();
    report.write(std::io::sink(), |fact| {
        expected.rows += 1;
        *expected.gross.entry(fact.currency.code().to_string()).or_default() += fact.gross;
    })?;
    Ok(Case { name, format, spec, path, expected })
}

pub async fn run_all(bench: &mut Bench, cases: &[Case], venv: &Path) -> Result<()> {
    for case in cases {
        println!("ingestion: {} ({} lines)", case.name, case.expected.rows);
        let ours = backbeat_ingest(bench, case).await?;
        let copy = psql_copy(bench, case).await?;
        let pandas = pandas(bench, case, venv).await?;
        let ratio = |a: f64, b: f64| a / b;
        bench.verdict(
            &format!("{}: backbeat ingest against psql \\copy", case.name),
            ">= 0.8",
            format!("{:.2}", ratio(ours, copy)),
            ours / copy >= 0.8,
            "rows per second, medians",
        );
        bench.verdict(
            &format!("{}: backbeat ingest against pandas", case.name),
            ">= 10",
            format!("{:.1}", ratio(ours, pandas)),
            ours / pandas >= 10.0,
            "rows per second, medians",
        );
    }
    Ok(())
}

/// `backbeat ingest --defer-allocation` (loading: what compares with COPY), each run
/// into a fresh copy of the catalog; after the first, `backbeat allocate` (the
/// allocation stage that follows every load) and the ledger's balance. Returns the
/// median rows per second of loading.
async fn backbeat_ingest(bench: &mut Bench, case: &Case) -> Result<f64> {
    let (mut rates, mut memory) = (Vec::new(), Vec::new());
    for run in 0..bench.scale.runs {
        let measured = ingest_once(bench, case).await?;
        rates.push(case.expected.rows as f64 / seconds(measured.wall));
        memory.push(mib(measured.max_rss_bytes));
        if run == 0 {
            export_copy_text(bench, case)?;
            allocate(bench, case).await?;
        }
    }
    let name = format!("{}: backbeat ingest", case.name);
    bench.record("ingestion", &name, "rows per second", "rows/s", rates.clone());
    bench.record("ingestion", &name, "peak memory", "MiB", memory);
    Ok(median(&rates))
}

/// Loads the case's file into a fresh copy of the catalog and checks what arrived.
pub async fn ingest_once(bench: &Bench, case: &Case) -> Result<Measured> {
    bench.fresh_database(TARGET, Some(CATALOG)).await?;
    let path = case.path.display().to_string();
    let measured = bench.backbeat(TARGET, &["ingest", "--defer-allocation", &path])?;
    check(bench, case, "backbeat ingest", true).await?;
    Ok(measured)
}

/// The allocation stage after a load: its time, its phases, and the ledger's balance
/// (gross = allocated + held + suspense for every currency) afterwards.
async fn allocate(bench: &mut Bench, case: &Case) -> Result<()> {
    let allocated = crate::allocation::allocate(bench, case.name).await?;
    let name = format!("{}: backbeat allocate, after loading", case.name);
    let rate = case.expected.rows as f64 / allocated.total;
    bench.record("allocation", &name, "facts per second", "facts/s", vec![rate]);
    bench.record("allocation", &name, "time in allocation", "s", vec![allocated.allocate]);
    bench.record("allocation", &name, "of it writing the ledger", "s", vec![allocated.ledger]);
    bench.record("allocation", &name, "time in conflict detection", "s", vec![allocated.detect]);
    Ok(())
}

/// The rows `backbeat ingest` wrote, as COPY text, for `psql \copy` to load again.
fn export_copy_text(bench: &Bench, case: &Case) -> Result<()> {
    let file = copy_file(bench, case);
    let sql = format!("\\copy (SELECT {COLUMNS} FROM stream_facts) TO '{}'", file.display());
    run(Command::new("psql").arg(bench.url(TARGET)).args(["-Atq", "-c", &sql]))?;
    Ok(())
}

fn copy_file(bench: &Bench, case: &Case) -> PathBuf {
    bench.dir.join("files").join(format!("{}-{}.copy", case.format, case.expected.rows))
}

/// A copy of the catalog with the month's partition made, as the loader would make it.
async fn target_with_partition(bench: &Bench, month: Month) -> Result<()> {
    bench.fresh_database(TARGET, Some(CATALOG)).await?;
    let pool = bench.pool(TARGET).await?;
    let mut conn = pool.acquire().await?;
    server::ingest::loader::ensure_partition(&mut conn, month).await?;
    drop(conn);
    pool.close().await;
    Ok(())
}

async fn psql_copy(bench: &mut Bench, case: &Case) -> Result<f64> {
    let file = copy_file(bench, case);
    let mut rates = Vec::new();
    for _ in 0..bench.scale.runs {
        target_with_partition(bench, case.spec.month).await?;
        let sql = format!("\\copy stream_facts ({COLUMNS}) FROM '{}'", file.display());
        let mut command = Command::new("psql");
        command.arg(bench.url(TARGET)).args(["-Atq", "-v", "ON_ERROR_STOP=1", "-c", &sql]);
        let measured = measure(command, &bench.dir.join("last-command.out"))?;
        check(bench, case, "psql \\copy", true).await?;
        rates.push(case.expected.rows as f64 / seconds(measured.wall));
    }
    let name = format!("{}: psql \\copy", case.name);
    bench.record("ingestion", &name, "rows per second", "rows/s", rates.clone());
    Ok(median(&rates))
}

async fn pandas(bench: &mut Bench, case: &Case, venv: &Path) -> Result<f64> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/pandas_loader.py");
    let (mut rates, mut memory) = (Vec::new(), Vec::new());
    for _ in 0..bench.scale.runs {
        target_with_partition(bench, case.spec.month).await?;
        let mut command = Command::new(venv.join("bin/python"));
        command.arg(&script).arg(case.format).arg(&case.path).arg(bench.url(TARGET)).arg("1");
        let measured = measure(command, &bench.dir.join("last-command.out"))?;
        check(bench, case, "pandas", false).await?;
        rates.push(case.expected.rows as f64 / seconds(measured.wall));
        memory.push(mib(measured.max_rss_bytes));
    }
    let name = format!("{}: pandas read_csv + to_sql", case.name);
    bench.record("ingestion", &name, "rows per second", "rows/s", rates.clone());
    bench.record("ingestion", &name, "peak memory", "MiB", memory);
    Ok(median(&rates))
}

/// The loaded rows must be the file's: every line, and its revenue per currency
/// exactly (or, for the pandas loader's floats, to a millionth of each total).
async fn check(bench: &Bench, case: &Case, loader: &str, exact: bool) -> Result<()> {
    let pool = bench.pool(TARGET).await?;
    let rows: Vec<(String, i64, Decimal)> = sqlx::query_as(
        "SELECT currency::text, count(*), sum(gross) FROM stream_facts GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(&pool)
    .await?;
    pool.close().await;
    let loaded = Totals {
        rows: rows.iter().map(|r| r.1 as u64).sum(),
        gross: rows.into_iter().map(|r| (r.0, r.2)).collect(),
    };
    if loaded.rows != case.expected.rows {
        bail!("{loader} loaded {} rows of {}'s {}", loaded.rows, case.name, case.expected.rows);
    }
    for (currency, want) in &case.expected.gross {
        let got = loaded.gross.get(currency).copied().unwrap_or_default();
        let off = (got - want).abs();
        let tolerance = if exact { Decimal::ZERO } else { want.abs() / Decimal::from(1_000_000) };
        if off > tolerance {
            bail!("{loader} loaded {got} {currency} of {}'s {want}", case.name);
        }
    }
    Ok(())
}

/// Peak memory of `backbeat ingest` for a file ten times the size: streaming keeps it
/// flat. Leaves the large file loaded in `TARGET`, its allocation deferred, and returns it.
pub async fn memory(bench: &mut Bench, small: &Case, rows: usize) -> Result<Case> {
    let spec = Spec { platform: small.spec.platform, month: month().next(), rows, seed: 1 };
    let large = case(bench, "DDEX DSR (Spotify), ten times the lines", "dsr", spec).await?;
    println!("ingestion: peak memory at {} lines", large.expected.rows);
    let measured = ingest_once(bench, &large).await?;
    let peak = mib(measured.max_rss_bytes);
    let name = format!("{}: backbeat ingest", large.name);
    bench.record("ingestion", &name, "peak memory", "MiB", vec![peak]);
    bench.record(
        "ingestion",
        &name,
        "rows per second",
        "rows/s",
        vec![large.expected.rows as f64 / seconds(measured.wall)],
    );
    let base = bench
        .figures
        .iter()
        .find(|f| f.case == format!("{}: backbeat ingest", small.name) && f.metric == "peak memory")
        .map(|f| f.median())
        .context("the small file's memory was not measured")?;
    bench.verdict(
        "peak memory, 10x the lines against 1x",
        "within 10%",
        format!("{peak:.0} MiB against {base:.0} MiB ({:+.1}%)", (peak / base - 1.0) * 100.0),
        peak <= base * 1.1,
        "DSR, one run of the large file against the median of the small",
    );
    Ok(large)
}
