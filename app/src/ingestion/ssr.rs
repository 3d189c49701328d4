//! The ingestion tables as staff see them, and the runs they queue.

use super::{FileDetail, FileError, FileRow, Freshness, JobRow, Overview, RunRow};
use crate::{conflicts::detect, domain::Month, error::AppError, revenue::ledger};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use std::collections::HashMap;

/// How many runs and files the overview lists (newest first).
const RECENT_RUNS: i64 = 40;
const RECENT_FILES: i64 = 200;

pub async fn overview(pool: &PgPool) -> Result<Overview, AppError> {
    let runs = runs(pool).await?;
    let jobs = jobs(pool).await?;
    let files = files(pool, None).await?;
    let file_counts = sqlx::query!(
        r#"SELECT status, count(*) AS "count!" FROM report_files GROUP BY status ORDER BY status"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.status, r.count))
    .collect();
    Ok(Overview { jobs, runs, files, file_counts })
}

async fn jobs(pool: &PgPool) -> Result<Vec<JobRow>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT j.id, j.name, p.name AS "platform?", j.folder, j.schedule, j.enabled,
               j.freshness_days,
               j.next_run_at AS "next_run_at: DateTime<Utc>",
               (SELECT max(f.accounting_month) FROM report_files f
                WHERE f.platform = j.platform AND f.status = 'loaded')
                   AS "latest: NaiveDate"
        FROM ingestion_jobs j
        LEFT JOIN platforms p ON p.code = j.platform
        ORDER BY j.platform IS NULL, j.name
        "#
    )
    .fetch_all(pool)
    .await?;
    let mut last_runs = last_runs(pool).await?;
    let today = Utc::now().date_naive();
    Ok(rows
        .into_iter()
        .map(|r| {
            let freshness = if r.platform.is_some() {
                Freshness::judge(r.latest.map(Month::of_period_end), r.freshness_days, today)
            } else {
                Freshness::NotTracked
            };
            JobRow {
                id: r.id,
                name: r.name,
                platform: r.platform,
                folder: r.folder,
                schedule: r.schedule.map(|s| {
                    let words = describe(&s);
                    (s, words)
                }),
                enabled: r.enabled,
                next_run_at: r.next_run_at,
                last_run: last_runs.remove(&r.id),
                freshness,
            }
        })
        .collect())
}

/// Each job's latest run.
async fn last_runs(pool: &PgPool) -> Result<HashMap<i64, RunRow>, AppError> {
    let rows = sqlx::query_as!(
        RunRecord,
        r#"
        SELECT DISTINCT ON (r.job_id)
               r.id, r.job_id, j.name AS job_name, r.trigger, r.attempt, r.status,
               r.backfill_month AS "backfill_month: NaiveDate",
               r.not_before AS "not_before: DateTime<Utc>",
               r.started_at AS "started_at: DateTime<Utc>",
               r.finished_at AS "finished_at: DateTime<Utc>",
               r.files_seen, r.files_loaded, r.files_skipped, r.files_quarantined,
               r.files_awaiting, r.facts_loaded, r.error
        FROM ingestion_runs r JOIN ingestion_jobs j ON j.id = r.job_id
        ORDER BY r.job_id, r.id DESC
        "#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.job_id, r.into_row())).collect())
}

fn describe(schedule: &str) -> String {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Optional)
        .build()
        .parse(schedule)
        .map(|cron| cron.describe())
        .unwrap_or_else(|e| format!("not a valid schedule: {e}"))
}

/// The latest runs of every job, newest first.
async fn runs(pool: &PgPool) -> Result<Vec<RunRow>, AppError> {
    let rows = sqlx::query_as!(
        RunRecord,
        r#"
        SELECT r.id, r.job_id, j.name AS job_name, r.trigger, r.attempt, r.status,
               r.backfill_month AS "backfill_month: NaiveDate",
               r.not_before AS "not_before: DateTime<Utc>",
               r.started_at AS "started_at: DateTime<Utc>",
               r.finished_at AS "finished_at: DateTime<Utc>",
               r.files_seen, r.files_loaded, r.files_skipped, r.files_quarantined,
               r.files_awaiting, r.facts_loaded, r.error
        FROM ingestion_runs r JOIN ingestion_jobs j ON j.id = r.job_id
        ORDER BY r.id DESC
        LIMIT $1
        "#,
        RECENT_RUNS
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(RunRecord::into_row).collect())
}

/// A run as the database has it.
struct RunRecord {
    id: i64,
    job_id: i64,
    job_name: String,
    trigger: String,
    attempt: i32,
    status: String,
    backfill_month: Option<NaiveDate>,
    not_before: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    files_seen: i32,
    files_loaded: i32,
    files_skipped: i32,
    files_quarantined: i32,
    files_awaiting: i32,
    facts_loaded: i64,
    error: Option<String>,
}

impl RunRecord {
    fn into_row(self) -> RunRow {
        RunRow {
            id: self.id,
            job_id: self.job_id,
            job_name: self.job_name,
            trigger: self.trigger,
            attempt: self.attempt,
            status: self.status,
            backfill_month: self.backfill_month.map(Month::of_period_end),
            not_before: self.not_before,
            started_at: self.started_at,
            finished_at: self.finished_at,
            files_seen: self.files_seen,
            files_loaded: self.files_loaded,
            files_skipped: self.files_skipped,
            files_quarantined: self.files_quarantined,
            files_awaiting: self.files_awaiting,
            facts_loaded: self.facts_loaded,
            error: self.error,
        }
    }
}

/// Report files newest first, or the one numbered `only`.
async fn files(pool: &PgPool, only: Option<i64>) -> Result<Vec<FileRow>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT f.id, f.file_name,
               -- Loaded but not yet through the allocation stage: its money is not shown yet.
               CASE WHEN f.status = 'loaded' AND f.allocated_at IS NULL
                    THEN 'awaiting_allocation' ELSE f.status END AS "status!",
               f.source, j.name AS "job_name?", f.format,
               p.name AS "platform?",
               f.period_start AS "period_start: NaiveDate",
               f.period_end AS "period_end: NaiveDate",
               f.fact_count, f.units_total, f.error_count, f.warnings, f.sha256, f.size_bytes,
               f.received_at AS "received_at: DateTime<Utc>"
        FROM report_files f
        LEFT JOIN ingestion_jobs j ON j.id = f.job_id
        LEFT JOIN platforms p ON p.code = f.platform
        WHERE $1::bigint IS NULL OR f.id = $1
        ORDER BY f.id DESC
        LIMIT $2
        "#,
        only,
        RECENT_FILES
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| FileRow {
            id: r.id,
            file_name: r.file_name,
            status: r.status,
            source: r.source,
            job_name: r.job_name,
            format: r.format,
            platform: r.platform,
            period: r.period_start.zip(r.period_end),
            fact_count: r.fact_count,
            units_total: r.units_total,
            error_count: r.error_count,
            warnings: r.warnings,
            sha256: r.sha256,
            size_bytes: r.size_bytes,
            received_at: r.received_at,
        })
        .collect())
}

pub async fn file_detail(pool: &PgPool, file_id: i64) -> Result<FileDetail, AppError> {
    let file = files(pool, Some(file_id)).await?.into_iter().next().ok_or(AppError::NotFound)?;
    let extra = sqlx::query!(
        r#"
        SELECT f.path, f.job_id, f.supersedes_id, s.file_name AS "supersedes_name?",
               d.email AS "decided_by?", f.decided_at AS "decided_at: DateTime<Utc>"
        FROM report_files f
        LEFT JOIN report_files s ON s.id = f.supersedes_id
        LEFT JOIN users d ON d.id = f.decided_by
        WHERE f.id = $1
        "#,
        file_id
    )
    .fetch_one(pool)
    .await?;
    let totals = sqlx::query!(
        r#"SELECT currency, gross::text AS "gross!" FROM report_file_totals
           WHERE report_file_id = $1 ORDER BY currency"#,
        file_id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.currency, r.gross))
    .collect();
    let errors = sqlx::query_as!(
        FileError,
        r#"SELECT line, column_name AS "column", value, reason FROM report_file_errors
           WHERE report_file_id = $1 ORDER BY ordinal"#,
        file_id
    )
    .fetch_all(pool)
    .await?;
    let can_retry = file.status == "quarantined" && extra.job_id.is_some();
    Ok(FileDetail {
        file,
        path: extra.path,
        totals,
        errors,
        can_retry,
        supersedes: extra.supersedes_id.zip(extra.supersedes_name),
        decided: extra.decided_at.map(|at| (extra.decided_by.unwrap_or_default(), at)),
    })
}

/// What a queued run is for.
pub enum Queue {
    Manual,
    Backfill(Month),
    RetryQuarantined,
    /// Load this held file in place of the one it supersedes.
    Confirm(i64),
}

pub async fn queue_run(
    pool: &PgPool,
    job_id: i64,
    queue: Queue,
    requested_by: i64,
) -> Result<i64, AppError> {
    let (trigger, month, retry, file) = match queue {
        Queue::Manual => ("manual", None, false, None),
        Queue::Backfill(month) => ("backfill", Some(month.first_day()), false, None),
        Queue::RetryQuarantined => ("manual", None, true, None),
        Queue::Confirm(file_id) => ("confirm", None, false, Some(file_id)),
    };
    let id = sqlx::query_scalar!(
        r#"
        INSERT INTO ingestion_runs
            (job_id, trigger, scheduled_for, backfill_month, retry_quarantined, report_file_id,
             requested_by)
        SELECT id, $2, clock_timestamp(), $3, $4, $5, $6 FROM ingestion_jobs WHERE id = $1
        RETURNING id
        "#,
        job_id,
        trigger,
        month as _,
        retry,
        file,
        requested_by
    )
    .fetch_optional(pool)
    .await?;
    id.ok_or(AppError::NotFound)
}

pub async fn set_paused(pool: &PgPool, job_id: i64, paused: bool) -> Result<(), AppError> {
    let updated =
        sqlx::query!("UPDATE ingestion_jobs SET enabled = NOT $2 WHERE id = $1", job_id, paused)
            .execute(pool)
            .await?;
    if updated.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// The job that found a quarantined file, which a retry runs again.
pub async fn retry_job_of(pool: &PgPool, file_id: i64) -> Result<i64, AppError> {
    let file = sqlx::query!("SELECT status, job_id FROM report_files WHERE id = $1", file_id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)?;
    match (file.status.as_str(), file.job_id) {
        ("quarantined", Some(job_id)) => Ok(job_id),
        ("quarantined", None) => Err(AppError::invalid(
            "This file came from the command line: load it again with `backbeat ingest`.",
        )),
        (status, _) => Err(AppError::invalid(format!(
            "Only quarantined files are retried; this one is {status}."
        ))),
    }
}

/// The job whose run confirms a held file: the one that found it, else the upload job.
pub async fn confirm_job_of(pool: &PgPool, file_id: i64) -> Result<i64, AppError> {
    let file = sqlx::query!(
        r#"
        SELECT f.status,
               coalesce(f.job_id, (SELECT min(id) FROM ingestion_jobs WHERE source = 'upload'))
                   AS job_id
        FROM report_files f WHERE f.id = $1
        "#,
        file_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    if file.status != "awaiting_confirmation" {
        return Err(AppError::invalid(format!(
            "Only a file awaiting confirmation can be confirmed; this one is {}.",
            file.status.replace('_', " ")
        )));
    }
    file.job_id.ok_or_else(|| AppError::invalid("There is no upload job to run the confirmation."))
}

/// Cancels a loaded file's facts with reversal rows (the same lines, units and gross
/// negated) and gives it `status` (`superseded` or `withdrawn`). Nothing is deleted, and
/// the file's own figures stay to be read beside their reversal. False when the file
/// was not loaded (nothing to reverse).
pub async fn reverse_file(
    tx: &mut sqlx::PgConnection,
    file_id: i64,
    status: &str,
    decided_by: Option<i64>,
) -> Result<bool, AppError> {
    let current =
        sqlx::query_scalar!("SELECT status FROM report_files WHERE id = $1 FOR UPDATE", file_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AppError::NotFound)?;
    if current != "loaded" {
        return Ok(false);
    }
    sqlx::query!(
        r#"
        INSERT INTO stream_facts
            (report_file_id, line_number, reversal, accounting_month, period_start, period_end,
             platform, territory, usage_type, isrc, upc, platform_track_id, track_id, title,
             artist, units, gross, currency, collector, label_id)
        SELECT report_file_id, line_number, true, accounting_month, period_start, period_end,
               platform, territory, usage_type, isrc, upc, platform_track_id, track_id, title,
               artist, -units, -gross, currency, collector, label_id
        FROM stream_facts
        WHERE report_file_id = $1 AND NOT reversal
        "#,
        file_id
    )
    .execute(&mut *tx)
    .await?;
    allocate_files(tx, &[file_id]).await?;
    sqlx::query!(
        "UPDATE report_files SET status = $2, decided_by = $3, decided_at = now(), allocated_at = now() WHERE id = $1",
        file_id,
        status,
        decided_by
    )
    .execute(&mut *tx)
    .await?;
    Ok(true)
}

/// Withdraws a loaded file: its facts reversed, in one transaction.
pub async fn withdraw(pool: &PgPool, file_id: i64, staff_id: i64) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    if !reverse_file(&mut tx, file_id, "withdrawn", Some(staff_id)).await? {
        return Err(AppError::invalid("Only a loaded file can be withdrawn."));
    }
    tx.commit().await?;
    Ok(())
}

/// Facts in the waiting files above which their months' statistics are taken again
/// before allocating: just COPYed, a large file is unknown to the planner, which then
/// looks each of its grains up one by one instead of joining them (seen as 18 s
/// against 8 s for a million facts); autovacuum would analyze it only later.
const ANALYZE_ABOVE: i64 = 50_000;

async fn analyze_months_of(tx: &mut sqlx::PgConnection, files: &[i64]) -> Result<(), AppError> {
    let months = sqlx::query!(
        r#"
        SELECT accounting_month AS "month!: NaiveDate"
        FROM report_files WHERE id = ANY($1) AND accounting_month IS NOT NULL
        GROUP BY accounting_month
        HAVING sum(fact_count)::bigint > $2
        "#,
        files,
        ANALYZE_ABOVE
    )
    .fetch_all(&mut *tx)
    .await?;
    for month in months {
        // The loader's partition name (server::ingest::loader::ensure_partition).
        let name = format!("stream_facts_y{}", month.month.format("%Ym%m"));
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(&name)
            .fetch_one(&mut *tx)
            .await?;
        if exists {
            sqlx::query(&format!("ANALYZE {name}")).execute(&mut *tx).await?;
        }
    }
    Ok(())
}

/// What one pass of the allocation stage did, and where its time went.
#[derive(Debug, Clone, Copy, Default)]
pub struct Allocated {
    pub files: usize,
    pub rows: u64,
    /// The ledger and its summaries (`ledger` and `summaries` of it).
    pub allocate: std::time::Duration,
    pub ledger: std::time::Duration,
    pub summaries: std::time::Duration,
    pub detect: std::time::Duration,
}

/// The allocation stage: every loaded file still waiting (its facts committed, its
/// money not yet in the ledger) is allocated, summarized and checked for conflicts, in
/// one transaction, and marked allocated. The loader calls it right after its commit;
/// the scheduler calls it on every tick, so a file a stopped process left waiting is
/// allocated by whichever server runs next. Files locked by a pass already under way
/// are left to it.
pub async fn allocate_waiting(pool: &PgPool) -> Result<Allocated, AppError> {
    // Checked first without the ledger's lock, which a long allocation may hold.
    let waiting = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM report_files WHERE status = 'loaded' AND allocated_at IS NULL) AS "waiting!""#
    )
    .fetch_one(pool)
    .await?;
    if !waiting {
        return Ok(Allocated::default());
    }
    let mut tx = pool.begin().await?;
    crate::revenue::ledger::lock(&mut tx).await?;
    let files: Vec<i64> = sqlx::query_scalar!(
        r#"
        SELECT id FROM report_files
        WHERE status = 'loaded' AND allocated_at IS NULL
        ORDER BY id
        FOR UPDATE SKIP LOCKED
        "#
    )
    .fetch_all(&mut *tx)
    .await?;
    if files.is_empty() {
        return Ok(Allocated::default());
    }
    analyze_months_of(&mut tx, &files).await?;
    let allocated = allocate_files(&mut tx, &files).await?;
    sqlx::query!("UPDATE report_files SET allocated_at = now() WHERE id = ANY($1)", &files)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(allocated)
}

/// Allocates `files` (new, or withdrawn) with their conflicts, in the caller's
/// transaction. Conflicts first: the files' first allocation then holds what new
/// conflicts hold (only the tracks' other files are allocated again for them), and what
/// a withdrawn file's revenue held is known before its terms go; the tracks whose holds
/// moved and the held amounts are settled after (`detect::Pending::settle`).
async fn allocate_files(tx: &mut sqlx::PgConnection, files: &[i64]) -> Result<Allocated, AppError> {
    let started = std::time::Instant::now();
    let pending = detect::find(tx, &detect::Scope::Files(files.to_vec())).await?;
    let found = started.elapsed();
    let allocation = ledger::allocate_timed(tx, &ledger::Scope::Files(files.to_vec())).await?;
    let allocate = started.elapsed() - found;
    pending.settle(tx, files).await?;
    Ok(Allocated {
        files: files.len(),
        rows: allocation.terms,
        allocate,
        ledger: allocation.ledger,
        summaries: allocation.summaries,
        detect: started.elapsed() - allocate,
    })
}
