//! The ingestion tables as staff see them, and the runs they queue.

use super::{FileDetail, FileError, FileRow, Freshness, JobRow, Overview, RunRow};
use crate::{domain::Month, error::AppError};
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
               r.facts_loaded, r.error
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
               r.facts_loaded, r.error
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
            facts_loaded: self.facts_loaded,
            error: self.error,
        }
    }
}

/// Report files newest first, or the one numbered `only`.
async fn files(pool: &PgPool, only: Option<i64>) -> Result<Vec<FileRow>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT f.id, f.file_name, f.status, f.source, j.name AS "job_name?", f.format,
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
    let extra = sqlx::query!("SELECT path, job_id FROM report_files WHERE id = $1", file_id)
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
    Ok(FileDetail { file, path: extra.path, totals, errors, can_retry })
}

/// What a queued run is for.
pub enum Queue {
    Manual,
    Backfill(Month),
    RetryQuarantined,
}

pub async fn queue_run(
    pool: &PgPool,
    job_id: i64,
    queue: Queue,
    requested_by: i64,
) -> Result<i64, AppError> {
    let (trigger, month, retry) = match queue {
        Queue::Manual => ("manual", None, false),
        Queue::Backfill(month) => ("backfill", Some(month.first_day()), false),
        Queue::RetryQuarantined => ("manual", None, true),
    };
    let id = sqlx::query_scalar!(
        r#"
        INSERT INTO ingestion_runs
            (job_id, trigger, scheduled_for, backfill_month, retry_quarantined, requested_by)
        SELECT id, $2, clock_timestamp(), $3, $4, $5 FROM ingestion_jobs WHERE id = $1
        RETURNING id
        "#,
        job_id,
        trigger,
        month as _,
        retry,
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
