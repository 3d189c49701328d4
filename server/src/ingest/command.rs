//! `backbeat ingest PATH...`: loads files and folders, with a progress bar and a summary.

use super::loader::{Allocated, Origin, Outcome, allocate_waiting, load_only};
use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::PgPool;
use std::path::{Path, PathBuf};

/// Loads every file under `paths` (folders one level deep, in name order), then
/// allocates them all in one pass, unless `defer_allocation` leaves that to the server's
/// scheduler (a bulk load at the start of a month). Fails when any file was
/// quarantined, so scripts and schedulers notice.
pub async fn run(pool: &PgPool, paths: &[PathBuf], defer_allocation: bool) -> Result<()> {
    let files = expand(paths)?;
    let bar = ProgressBar::new(files.len() as u64).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} files  {msg}")
            .expect("a valid template"),
    );
    let mut summary = Vec::new();
    for file in &files {
        bar.set_message(file.display().to_string());
        let outcome = load_only(pool, file, &Origin::COMMAND_LINE).await?;
        bar.inc(1);
        summary.push((file.clone(), outcome));
    }
    bar.finish_and_clear();
    print_summary(&summary);
    if defer_allocation {
        println!("Allocation deferred: the server's scheduler allocates these files.");
    } else {
        print_allocated(&allocate_waiting(pool).await?);
    }
    let quarantined =
        summary.iter().filter(|(_, o)| matches!(o, Outcome::Quarantined { .. })).count();
    if quarantined > 0 {
        bail!("{quarantined} of {} files quarantined", summary.len());
    }
    Ok(())
}

fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            entries.sort();
            files.extend(entries);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            bail!("{} is not a file or folder", path.display());
        }
    }
    Ok(files)
}

fn print_summary(summary: &[(PathBuf, Outcome)]) {
    println!("{:<48} {:<12} {:>10} {:>10}  note", "file", "result", "facts", "matched");
    for (path, outcome) in summary {
        let name = short(path);
        match outcome {
            Outcome::Loaded { file_id, facts, matched, warnings, took } => {
                let note = warnings.first().map(String::as_str).unwrap_or("");
                let took = took.as_secs_f64();
                println!(
                    "{name:<48} {:<12} {facts:>10} {matched:>10}  file {file_id} in {took:.2} s {note}",
                    "loaded"
                );
            }
            Outcome::AlreadyLoaded { file_id } => {
                println!(
                    "{name:<48} {:<12} {:>10} {:>10}  same bytes as file {file_id}",
                    "already", "-", "-"
                );
            }
            Outcome::AwaitingConfirmation { file_id, supersedes } => {
                println!(
                    "{name:<48} {:<12} {:>10} {:>10}  file {file_id} would replace file {supersedes}: confirm on the Ingestion page",
                    "held", "-", "-"
                );
            }
            Outcome::Quarantined { file_id, errors, first } => {
                let first = first.as_ref().map(ToString::to_string).unwrap_or_default();
                println!(
                    "{name:<48} {:<12} {:>10} {:>10}  file {file_id}: {errors} errors; {first}",
                    "QUARANTINED", "-", "-"
                );
            }
        }
    }
}

/// `backbeat allocate`: the allocation stage, now.
pub async fn allocate(pool: &PgPool) -> Result<()> {
    let allocated = allocate_waiting(pool).await?;
    if allocated.files == 0 {
        println!("No file is waiting for allocation.");
    }
    print_allocated(&allocated);
    Ok(())
}

/// `backbeat detect`: conflict detection over everything (`Scope::All`), committed
/// whole or not at all.
pub async fn detect(pool: &PgPool) -> Result<()> {
    use app::conflicts::detect::{Scope, detect};
    let started = std::time::Instant::now();
    let mut tx = pool.begin().await?;
    let outcome = detect(&mut tx, &Scope::All).await?;
    tx.commit().await?;
    println!(
        "Conflicts: {} opened, {} updated, {} dismissed, in {:.2} s.",
        outcome.opened,
        outcome.updated,
        outcome.dismissed,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn print_allocated(allocated: &Allocated) {
    if allocated.files > 0 {
        println!(
            "Allocated {} files under {} terms: allocation {:.2} s (ledger {:.2} s, \
             summaries {:.2} s), conflicts {:.2} s.",
            allocated.files,
            allocated.rows,
            allocated.allocate.as_secs_f64(),
            allocated.ledger.as_secs_f64(),
            allocated.summaries.as_secs_f64(),
            allocated.detect.as_secs_f64()
        );
    }
}

fn short(path: &Path) -> String {
    let name = path.display().to_string();
    if name.len() > 48 { format!("…{}", &name[name.len() - 47..]) } else { name }
}
