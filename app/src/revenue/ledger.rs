//! Allocation: what the facts earned and whose it is, decided by set-based SQL. What a
//! file's facts are under (state, contract, fee, rate, another party's share) is decided
//! once per file, track, month and currency, and written as `terms` (`revenue::terms`),
//! with a row of its own for each territory a hold names. The `ledger` view is the facts
//! times their terms, one row per fact group (and one for another party's decided
//! part), and the `allocations` view writes out each group's parts (the fee, each
//! payee's split) as products of its gross, fee and shares (migrations 11 and 18).
//! Writing a row per fact group was most of allocation's time and is gone
//! (docs/benchmarking.md, "Allocation: why the grain must change").
//!
//! Each fact group (file x track x platform x territory x usage type x month x currency)
//! lands in exactly one state:
//! - suspense when it matched no catalog track;
//! - held when its track has an open hold for that territory and month (`conflict`),
//!   when no contract is in force for the month (`no_contract`), or when the month has
//!   no exchange rate into the label's currency (`missing_rate`);
//! - allocated otherwise: the distributor's fee, then the rest split by the contract;
//!   where a decided conflict gave another party a share (a settled hold), that share
//!   is allocated to them first and only the rest is ours.
//!
//! Every part is a product of exact decimals (gross x fee or gross x (1 - fee) x share,
//! then x rate), never a quotient, so the parts of a group sum to its gross exactly and
//! nothing is rounded here. Rounding happens on statements and payouts only.
//!
//! Allocation replaces the terms of what it is asked about, so running it twice changes
//! nothing, and it is asked about little: the file just loaded or reversed, the tracks
//! whose contract or hold changed, the months and currencies whose rate changed.

use crate::error::AppError;
use chrono::NaiveDate;
use sqlx::PgConnection;
use std::time::{Duration, Instant};

/// What to allocate again.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Every fact of these report files.
    Files(Vec<i64>),
    /// The facts of these tracks, in whichever files they are.
    Tracks(Vec<i64>),
    /// The facts of these tracks in every file with facts of month `since` or later
    /// but `files` (which the caller allocates itself): a hold changed from `since` on
    /// changes no earlier month's terms.
    TracksBut { tracks: Vec<i64>, files: Vec<i64>, since: NaiveDate },
    /// The files of these accounting months that report amounts in these currencies.
    Rates(Vec<(NaiveDate, String)>),
}

/// Allocation holds this transaction-scoped advisory lock from its first statement to
/// the end of the caller's transaction: two allocations never interleave, so each one
/// reads everything the other committed (contracts, rates, holds, new files).
const LOCK: i64 = 0x6261_636b_6265_6174; // "backbeat"

/// Takes allocation's lock for the rest of the caller's transaction. Whoever will both
/// allocate and lock rows that allocation's callers also lock (conflict detection and
/// decisions lock conflicts) takes this first, so that locks are always taken in one
/// order and two such transactions wait for each other instead of deadlocking.
pub async fn lock(tx: &mut PgConnection) -> Result<(), AppError> {
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", LOCK).execute(&mut *tx).await?;
    Ok(())
}

/// Memory for the rest of the caller's transaction to group and join a file's grains
/// (allocation) or a catalog's spellings and claims (conflict detection) in, rather
/// than spill them to disk as they did in the pool's 32 MB.
pub async fn batch_memory(tx: &mut PgConnection) -> Result<(), AppError> {
    sqlx::query!("SET LOCAL work_mem = '256MB'").execute(&mut *tx).await?;
    Ok(())
}

/// What an allocation wrote, and where its time went.
#[derive(Debug, Clone, Copy, Default)]
pub struct Allocation {
    /// Terms written (one per file, track, month and currency, and one more per
    /// territory a hold names).
    pub terms: u64,
    /// Writing the ledger at its grain: the terms.
    pub ledger: Duration,
    /// Taking the old terms out of the summaries the dashboards read and putting the new
    /// ones in.
    pub summaries: Duration,
}

/// Allocates `scope` again in the caller's transaction. Returns the terms written (one
/// per file, track, month and currency, and one more per territory a hold names).
pub async fn allocate(tx: &mut PgConnection, scope: &Scope) -> Result<u64, AppError> {
    Ok(allocate_timed(tx, scope).await?.terms)
}

/// [`allocate`], saying how long the ledger and the summaries took: the allocation
/// stage reports both, and `make bench` judges the ledger against its physical limit.
pub async fn allocate_timed(tx: &mut PgConnection, scope: &Scope) -> Result<Allocation, AppError> {
    lock(tx).await?;
    batch_memory(tx).await?;
    let (files, tracks) = match scope {
        Scope::Files(files) => (files.clone(), None),
        Scope::Tracks(tracks) => {
            (files_of_tracks(tx, tracks, None).await?, Some(tracks.as_slice()))
        }
        Scope::TracksBut { tracks, files, since } => {
            let mut of = files_of_tracks(tx, tracks, Some(*since)).await?;
            of.retain(|f| !files.contains(f));
            (of, Some(tracks.as_slice()))
        }
        Scope::Rates(months) => (files_of_rates(tx, months).await?, None),
    };
    if files.is_empty() {
        return Ok(Allocation::default());
    }
    // What the files' facts are under, decided once per file, track, month and currency
    // (`terms`): the ledger is the facts times these (migration 18). The summaries lose
    // what the old terms put in and gain what the new ones do.
    let started = Instant::now();
    let emptied = super::summary::take_out(tx, &files, tracks).await?;
    let taken_out = started.elapsed();
    let terms = super::terms::write(tx, &files, tracks).await?;
    let ledger = started.elapsed() - taken_out;
    super::summary::put_back(tx, &files, tracks, terms, emptied).await?;
    Ok(Allocation { terms, ledger, summaries: started.elapsed() - ledger })
}

/// Rows written above which a table's statistics are taken again at once, when they
/// are also a tenth of what it held.
const ANALYZE_ABOVE: u64 = 20_000;

/// The summaries and detection's held amounts read the ledger again in this same
/// transaction. Planned on statistics from before a large file (autovacuum takes new
/// ones only after commit, and later, and may be off: it is on the benchmark's
/// machine), they loop over a million rows estimated as ten: the first allocation of a
/// month of 1M facts spent 20 s more in such plans. So do the dashboards on summaries
/// whose statistics are those of an empty table (a label's song page read 730,000 of a
/// label's summary rows to find one track's 25). ANALYZE samples a fixed 30,000 rows,
/// so it costs the same whatever the table's size. `tables[0]` is the one `written` to;
/// the others grow with it.
pub(super) async fn analyze_if_grown(
    tx: &mut PgConnection,
    tables: &[&'static str],
    written: u64,
) -> Result<(), AppError> {
    if written < ANALYZE_ABOVE {
        return Ok(());
    }
    let estimated: f32 =
        sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE oid = $1::regclass")
            .bind(tables[0])
            .fetch_one(&mut *tx)
            .await?;
    if estimated < 0.0 || written as f64 >= 0.1 * f64::from(estimated) {
        // The names are this crate's constants, never input.
        sqlx::query(&format!("ANALYZE {}", tables.join(", "))).execute(&mut *tx).await?;
    }
    Ok(())
}

/// The allocated files with facts of `tracks` (in month `since` or later, when given),
/// by their terms: a term per file, month and currency rather than a fact per line
/// (the facts took 1.9 s for the tracks a month's new holds moved). A file not yet
/// allocated has none, and is allocated whole, as things are then, when its turn comes;
/// a withdrawn one has none, and needs none.
async fn files_of_tracks(
    tx: &mut PgConnection,
    tracks: &[i64],
    since: Option<NaiveDate>,
) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"
        SELECT DISTINCT report_file_id AS "id!" FROM terms
        WHERE track_id = ANY($1) AND ($2::date IS NULL OR accounting_month >= $2)
        "#,
        tracks,
        since as _
    )
    .fetch_all(&mut *tx)
    .await?)
}

async fn files_of_rates(
    tx: &mut PgConnection,
    months: &[(NaiveDate, String)],
) -> Result<Vec<i64>, AppError> {
    let (dates, currencies): (Vec<NaiveDate>, Vec<String>) = months.iter().cloned().unzip();
    Ok(sqlx::query_scalar!(
        r#"
        SELECT DISTINCT f.id AS "id!"
        FROM report_files f
        JOIN report_file_totals t ON t.report_file_id = f.id
        JOIN UNNEST($1::date[], $2::text[]) AS u(month, currency)
          ON u.month = f.accounting_month AND u.currency = t.currency
        "#,
        &dates as _,
        &currencies
    )
    .fetch_all(&mut *tx)
    .await?)
}

/// One report file's balance in one reported currency: its facts' gross, and the three
/// states of the ledger, each summed from its own rows. Exact decimals, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub report_file_id: i64,
    pub currency: String,
    pub gross: String,
    pub allocated: String,
    pub held: String,
    pub suspense: String,
    /// gross = allocated + held + suspense, compared by Postgres at full precision.
    pub balances: bool,
}

/// The balance of each of `files` (every file with facts when `None`).
pub async fn balances(
    conn: &mut PgConnection,
    files: Option<&[i64]>,
) -> Result<Vec<Balance>, AppError> {
    let rows = sqlx::query!(
        r#"
        WITH facts AS (
            SELECT report_file_id, currency, sum(gross) AS gross
            FROM stream_facts
            WHERE $1::bigint[] IS NULL OR report_file_id = ANY($1)
            GROUP BY report_file_id, currency
        ),
        ledger AS (
            SELECT report_file_id, currency,
                   coalesce(sum(gross) FILTER (WHERE state = 'allocated'), 0) AS allocated,
                   coalesce(sum(gross) FILTER (WHERE state = 'held'), 0) AS held,
                   coalesce(sum(gross) FILTER (WHERE state = 'suspense'), 0) AS suspense
            FROM allocations
            WHERE $1::bigint[] IS NULL OR report_file_id = ANY($1)
            GROUP BY report_file_id, currency
        )
        SELECT report_file_id AS "report_file_id!", currency AS "currency!",
               coalesce(f.gross, 0)::text AS "gross!",
               coalesce(l.allocated, 0)::text AS "allocated!",
               coalesce(l.held, 0)::text AS "held!",
               coalesce(l.suspense, 0)::text AS "suspense!",
               coalesce(f.gross, 0) = coalesce(l.allocated, 0) + coalesce(l.held, 0)
                   + coalesce(l.suspense, 0) AS "balances!"
        FROM facts f
        FULL JOIN ledger l USING (report_file_id, currency)
        ORDER BY report_file_id, currency
        "#,
        files as _
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Balance {
            report_file_id: r.report_file_id,
            currency: r.currency.trim().to_string(),
            gross: r.gross,
            allocated: r.allocated,
            held: r.held,
            suspense: r.suspense,
            balances: r.balances,
        })
        .collect())
}
