//! Allocation of one month's facts into the ledger, against the physical limit of
//! writing what it writes (the facts' terms, per file, track, month and currency: the
//! ledger is a view of the facts times them) with one `INSERT ... SELECT ... GROUP BY`;
//! and conflict detection over everything loaded, then incrementally after one more
//! file.
//!
//! It starts where `ingest::memory` stops: the large DSR file loaded into
//! `ingest::TARGET` with its allocation deferred.

use crate::bench::{Bench, seconds};
use crate::growth::Loaded;
use crate::ingest::{self, Case};
use anyhow::{Context, Result, bail};
use std::time::Instant;

/// A copy of the loaded, not yet allocated database, for the physical limit.
const LIMIT: &str = "bench_limit";

/// The issue's targets at full size (10M facts, 1M tracks); a quick run has a tenth of
/// the data and is held to a tenth of the time.
const MONTH_SECONDS: f64 = 30.0;
const FULL_DETECTION_SECONDS: f64 = 10.0;
const INCREMENTAL_DETECTION_SECONDS: f64 = 1.0;

/// Returns the load of `next`, the file detection is measured after.
pub async fn run(bench: &mut Bench, large: &Case, next: &Case) -> Result<Loaded> {
    let facts = large.expected.rows;
    println!("allocation: one month of {facts} facts");
    bench.fresh_database(LIMIT, Some(ingest::TARGET)).await?;
    let ours = allocate(bench, large.name).await?;
    let limit = physical_limit(bench, ours.keys).await?;
    bench.drop_database(LIMIT).await?;
    let case = format!("one month of {facts} facts");
    bench.record(
        "allocation",
        &format!("{case}: backbeat allocate"),
        "time",
        "s",
        vec![ours.total],
    );
    bench.record(
        "allocation",
        &format!("{case}: single INSERT ... SELECT ... GROUP BY of the same rows"),
        "time",
        "s",
        vec![limit],
    );
    bench.record(
        "allocation",
        &format!("{case}: backbeat allocate, writing the ledger (its terms)"),
        "time",
        "s",
        vec![ours.ledger],
    );
    let target = MONTH_SECONDS * bench.scale.fraction();
    // The issue's measure, the ledger at its grain, against its physical limit; and
    // beside it everything the command waits for, judged against the same target,
    // since that is what a person loading the month waits for.
    bench.verdict(
        &format!("allocation of {case} into the ledger at its grain"),
        &format!("< {target:.0} s"),
        format!(
            "{:.1} s ({:.1} times the single INSERT ... SELECT)",
            ours.ledger,
            ours.ledger / limit
        ),
        ours.ledger < target,
        &format!(
            "{} terms ({} of them for territories that holds name), written by one statement",
            ours.rows,
            ours.rows - ours.keys
        ),
    );
    bench.verdict(
        &format!("allocation of {case} with its summaries and conflicts (backbeat allocate)"),
        &format!("< {target:.0} s"),
        format!("{:.1} s", ours.total),
        ours.total < target,
        &format!(
            "{:.1} s the ledger, {:.1} s the summaries the dashboards read, {:.1} s detecting \
             conflicts, the rest starting and committing",
            ours.ledger, ours.summaries, ours.detect
        ),
    );

    println!("conflict detection: everything, then after one more file");
    let full = full_detection(bench).await?;
    let tracks = bench.scale.of(crate::TRACKS);
    let target = FULL_DETECTION_SECONDS * bench.scale.fraction();
    bench.verdict(
        &format!("conflict detection over {tracks} tracks and {facts} facts, full"),
        &format!("< {target:.1} s"),
        format!("{full:.1} s"),
        full < target,
        "every claim, track and line looked at again",
    );
    let loaded = incremental_detection(bench, next).await?;
    let incremental = loaded.allocated.detect;
    let target = INCREMENTAL_DETECTION_SECONDS * bench.scale.fraction();
    bench.verdict(
        &format!("conflict detection after one file of {} lines", next.expected.rows),
        &format!("< {target:.1} s"),
        format!("{incremental:.2} s"),
        incremental < target,
        "the detection phase of that file's allocation, with the month above in place",
    );
    Ok(loaded)
}

/// What `backbeat allocate` said it did.
pub struct Allocated {
    pub rows: u64,
    /// The terms that are one per file, track, month and currency: `rows` less those of
    /// the territories that holds name.
    pub keys: u64,
    /// Wall time of the whole command, seconds.
    pub total: f64,
    /// The ledger and its summaries.
    pub allocate: f64,
    /// Writing the terms.
    pub ledger: f64,
    /// Keeping the summaries.
    pub summaries: f64,
    pub detect: f64,
}

/// `backbeat allocate` of what waits in `ingest::TARGET`, and the ledger's balance
/// (gross = allocated + held + suspense for every currency) after allocating `after`.
pub async fn allocate(bench: &Bench, after: &str) -> Result<Allocated> {
    let measured = bench.backbeat(ingest::TARGET, &["allocate"])?;
    let [allocate, ledger, summaries, detect] = phases(&measured.stdout)?;
    let rows = measured
        .stdout
        .lines()
        .find_map(|l| l.split(" under ").nth(1)?.split(' ').next()?.parse().ok())
        .context("allocate did not say how many terms it wrote")?;
    let pool = bench.pool(ingest::TARGET).await?;
    check_balances(&pool, after).await?;
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM terms WHERE territory IS NULL")
        .fetch_one(&pool)
        .await?;
    pool.close().await;
    let total = seconds(measured.wall);
    Ok(Allocated { rows, keys: keys as u64, total, allocate, ledger, summaries, detect })
}

/// gross = allocated + held + suspense, for every file and currency of the target.
async fn check_balances(pool: &sqlx::PgPool, after: &str) -> Result<()> {
    let balances = app::revenue::ledger::balances(&mut *pool.acquire().await?, None).await?;
    if let Some(off) = balances.iter().find(|b| !b.balances) {
        bail!("after allocating {after}, the ledger does not balance: {off:?}");
    }
    Ok(())
}

/// What `backbeat allocate` prints: "... allocation 4.56 s (ledger 2.50 s, summaries
/// 2.06 s), conflicts 0.12 s."
fn phases(stdout: &str) -> Result<[f64; 4]> {
    let line = stdout.lines().find(|l| l.starts_with("Allocated")).context("nothing allocated")?;
    let mut values = [0.0; 4];
    let labels = ["allocation ", "(ledger ", "summaries ", "conflicts "];
    for (value, label) in values.iter_mut().zip(labels) {
        let rest = &line[line.find(label).context("a phase is missing")? + label.len()..];
        *value = rest.split(' ').next().unwrap_or("").parse().context("a phase's seconds")?;
    }
    Ok(values)
}

/// The terms of the facts' keys written by one statement straight from the facts,
/// without holds: the least any allocation could cost that decides what the facts are
/// under. Its rows must be as many as allocation's terms for keys (allocation also
/// writes a term for each territory that a hold names: conflict detection places the
/// month's holds before its first allocation).
async fn physical_limit(bench: &Bench, keys: u64) -> Result<f64> {
    let pool = bench.pool(LIMIT).await?;
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL work_mem = '256MB'").execute(&mut *tx).await?;
    let started = Instant::now();
    let written = sqlx::query(LIMIT_SQL).execute(&mut *tx).await?.rows_affected();
    let took = seconds(started.elapsed());
    tx.commit().await?;
    pool.close().await;
    if written != keys {
        bail!("the single INSERT ... SELECT wrote {written} terms, allocation {keys} for keys");
    }
    Ok(took)
}

/// The facts' keys, each placed as allocation places them when nothing is held: in
/// suspense, held for want of a contract or a rate, or allocated under its contract.
/// The same placing as `app::revenue::terms`, less the holds, kept in step by hand: the
/// point is one statement, not allocation's code.
const LIMIT_SQL: &str = r#"
INSERT INTO terms
    (report_file_id, accounting_month, track_id, currency, state, hold_reason, contract_id,
     fee, label_id, label_currency, rate, ours)
SELECT g.report_file_id, g.accounting_month, g.track_id, g.currency,
       CASE WHEN g.track_id IS NULL THEN 'suspense'
            WHEN coalesce(tc.id, rc.id) IS NULL OR x.rate IS NULL AND g.currency <> l.accounting_currency
            THEN 'held' ELSE 'allocated' END,
       CASE WHEN g.track_id IS NULL THEN NULL
            WHEN coalesce(tc.id, rc.id) IS NULL THEN 'no_contract'
            WHEN x.rate IS NULL AND g.currency <> l.accounting_currency THEN 'missing_rate' END,
       coalesce(tc.id, rc.id),
       CASE WHEN tc.id IS NOT NULL THEN tc.distribution_fee ELSE rc.distribution_fee END,
       r.label_id, l.accounting_currency,
       CASE WHEN g.currency = l.accounting_currency THEN 1 ELSE x.rate END, 1
FROM (
    SELECT report_file_id, accounting_month, track_id, currency
    FROM stream_facts
    GROUP BY 1, 2, 3, 4
) g
LEFT JOIN tracks t ON t.id = g.track_id
LEFT JOIN releases r ON r.id = t.release_id
LEFT JOIN labels l ON l.id = r.label_id
-- As allocation finds a contract: the track's own, else its release's.
LEFT JOIN contracts tc
  ON tc.track_id = g.track_id AND tc.valid_from <= g.accounting_month
 AND (tc.valid_to IS NULL OR tc.valid_to >= g.accounting_month)
LEFT JOIN contracts rc
  ON rc.release_id = t.release_id AND rc.valid_from <= g.accounting_month
 AND (rc.valid_to IS NULL OR rc.valid_to >= g.accounting_month)
LEFT JOIN exchange_rates x
  ON x.month = g.accounting_month AND x.from_currency = g.currency
 AND x.to_currency = l.accounting_currency
ORDER BY g.track_id, g.accounting_month
"#;

/// Detection of every kind over the whole catalog and every line, as after an upgrade
/// or a bulk import of claims. Rolled back each run, so each run finds the same work.
async fn full_detection(bench: &mut Bench) -> Result<f64> {
    let pool = bench.pool(ingest::TARGET).await?;
    let mut samples = Vec::new();
    for _ in 0..bench.scale.runs {
        let mut tx = pool.begin().await?;
        let started = Instant::now();
        app::conflicts::detect::detect(&mut tx, &app::conflicts::detect::Scope::All).await?;
        samples.push(seconds(started.elapsed()));
        tx.rollback().await?;
    }
    pool.close().await;
    let name = "full detection (every claim, track and line)";
    bench.record("conflict detection", name, "time", "s", samples.clone());
    Ok(crate::bench::median(&samples))
}

/// One more file loaded on top of the month, then allocated: its detection phase.
async fn incremental_detection(bench: &mut Bench, next: &Case) -> Result<Loaded> {
    let loaded = crate::growth::load(bench, next).await?;
    let name = format!("after one {} file of {} lines", next.name, next.expected.rows);
    bench.record("conflict detection", &name, "time", "s", vec![loaded.allocated.detect]);
    Ok(loaded)
}
