//! The write-up: docs/benchmarks.md (machine, date, commit, targets, every figure, how
//! to reproduce) and the samples as CSV.

use crate::bench::{Bench, run};
use anyhow::Result;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

pub async fn write(
    bench: &Bench,
    elapsed: Duration,
    markdown: &Path,
    csv: &Path,
    chart: &Path,
) -> Result<()> {
    let mut md = String::new();
    let size = if bench.scale.tenth { "quick (a tenth of the sizes)" } else { "full" };
    writeln!(md, "# Benchmarks\n")?;
    writeln!(
        md,
        "Written by `make bench` (`make bench-quick` for a tenth of the sizes); do not edit by \
         hand. Each figure is measured {} times unless it says otherwise; minimum, median and \
         maximum are shown. Raw samples: [benchmarks.csv](benchmarks.csv). How each benchmark \
         works, and what it compares against: [benchmarking.md](benchmarking.md).\n",
        bench.scale.runs
    )?;
    writeln!(md, "## This run\n")?;
    for (key, value) in machine(bench).await {
        writeln!(md, "- {key}: {value}")?;
    }
    writeln!(md, "- Size: {size}")?;
    writeln!(md, "- Took: {:.0} minutes", elapsed.as_secs_f64() / 60.0)?;
    writeln!(
        md,
        "- Everything shares the machine: the load generators, the server, Postgres and \
         the benchmark itself run on the same cores.\n"
    )?;

    writeln!(md, "## Targets\n")?;
    writeln!(md, "| What | Target | Measured | Met | Note |\n| --- | --- | --- | --- | --- |")?;
    for v in &bench.verdicts {
        let met = if v.met { "yes" } else { "**no**" };
        writeln!(md, "| {} | {} | {} | {met} | {} |", v.what, v.target, v.measured, v.note)?;
    }
    if !bench.notes.is_empty() {
        writeln!(md)?;
        for note in &bench.notes {
            writeln!(md, "- {note}")?;
        }
    }

    let mut sections: Vec<&str> = Vec::new();
    for f in &bench.figures {
        if !sections.contains(&f.bench.as_str()) {
            sections.push(&f.bench);
        }
    }
    for section in sections {
        writeln!(md, "\n## {}\n", capitalized(section))?;
        writeln!(
            md,
            "| Case | Measure | Min | Median | Max | Unit | Runs |\n| --- | --- | ---: | ---: | ---: | --- | ---: |"
        )?;
        for f in bench.figures.iter().filter(|f| f.bench == section) {
            writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} |",
                f.case,
                f.metric,
                number(f.min()),
                number(f.median()),
                number(f.max()),
                f.unit,
                f.samples.len()
            )?;
        }
    }
    growth(&mut md, bench, chart)?;
    writeln!(md, "\n## Reproduce\n")?;
    writeln!(
        md,
        "`make bench` (or `make bench-quick`) on a clean clone: it installs pandas, SQLAlchemy \
         and psycopg into target/bench-venv from PyPI, builds in release mode, generates every \
         catalog and file it loads, and rewrites this page. It needs a Postgres server as \
         `make test` does (DATABASE_URL, or 127.0.0.1:5432, or a private cluster).\n"
    )?;
    std::fs::write(markdown, md)?;

    let mut out = String::from("bench,case,measure,unit,run,value\n");
    for f in &bench.figures {
        for (i, v) in f.samples.iter().enumerate() {
            writeln!(
                out,
                "{},\"{}\",{},{},{},{v}",
                f.bench,
                f.case.replace('"', "'"),
                f.metric,
                f.unit,
                i + 1
            )?;
        }
    }
    std::fs::write(csv, out)?;
    Ok(())
}

/// The growth table, and its chart beside the page.
fn growth(md: &mut String, bench: &Bench, chart: &Path) -> Result<()> {
    writeln!(md, "\n## Growth\n")?;
    writeln!(
        md,
        "Loading: rows per second of the file that brought the database to its size, loaded \
         on top of what it held. Dashboards: p99 of every page at {:.0} requests per second.\n",
        crate::dashboards::RATE
    )?;
    writeln!(
        md,
        "| Facts | Last file (lines) | Facts before it | Loading (rows/s) | Dashboards p99 (ms) |\n\
         | ---: | ---: | ---: | ---: | ---: |"
    )?;
    for p in &bench.growth {
        writeln!(
            md,
            "| {} | {} | {} | {} | {:.1} |",
            number(p.facts as f64),
            number(p.file_lines as f64),
            number(p.facts_before as f64),
            number(p.ingest_rows_per_second),
            p.p99_ms
        )?;
    }
    let name = chart.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    writeln!(md, "\n![Loading rate and dashboards p99 against facts loaded]({name})")?;
    Ok(())
}

/// What the figures were measured on.
async fn machine(bench: &Bench) -> Vec<(&'static str, String)> {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("unknown")
        .trim()
        .to_string();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let memory = read("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| format!("{:.0} GiB", kb / 1024.0 / 1024.0))
        .unwrap_or_default();
    let git = |args: &[&str]| run(Command::new("git").args(args)).unwrap_or_default();
    let commit = git(&["rev-parse", "--short", "HEAD"]).trim().to_string();
    // The run's own outputs (the chart is written before this page) are not changes.
    let status = ["status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs/benchmarks*"];
    let dirty = if git(&status).trim().is_empty() { "" } else { " (with uncommitted changes)" };
    let postgres = match bench.admin().await {
        Ok(mut conn) => sqlx::query_scalar::<_, String>("SELECT version()")
            .fetch_one(&mut conn)
            .await
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    vec![
        ("Date", chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string()),
        ("Commit", format!("{commit}{dirty}")),
        ("CPU", format!("{cpu}, {cores} cores")),
        ("Memory", memory),
        ("Postgres", postgres.split(" on ").next().unwrap_or("").to_string()),
    ]
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

/// Thousands separated for large figures, two decimals for small ones.
fn number(v: f64) -> String {
    if v.abs() >= 1000.0 {
        let digits = format!("{:.0}", v.abs());
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if v < 0.0 { format!("-{out}") } else { out }
    } else if v.fract() == 0.0 {
        // Counts (errors, facts before the first file) read as counts.
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}
