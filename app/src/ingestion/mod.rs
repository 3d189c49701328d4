//! The staff view of ingestion: jobs and their freshness, runs, report files and the
//! errors of quarantined ones, and the actions staff take on them (run now, pause,
//! backfill, retry). Every function here is staff-only. The scheduler that carries the
//! runs out lives in the server crate (`server::ingest::scheduler`): these functions
//! only queue runs for it.

#[cfg(feature = "ssr")]
use crate::domain::Role;
use crate::{domain::Month, error::AppError};
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod ssr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRow {
    pub id: i64,
    pub name: String,
    pub platform: Option<String>,
    pub folder: String,
    /// The cron expression, and how it reads in words.
    pub schedule: Option<(String, String)>,
    pub enabled: bool,
    pub next_run_at: Option<DateTime<Utc>>,
    pub last_run: Option<RunRow>,
    pub freshness: Freshness,
}

/// Whether a job's platform has delivered the reports it should have by now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Freshness {
    /// Not judged: the job has no platform (uploads).
    NotTracked,
    /// The latest month expected by now is loaded.
    OnTime { latest: Option<Month> },
    /// `missing` should have arrived by `due`; `latest` is the newest month loaded.
    Overdue { missing: Month, due: NaiveDate, latest: Option<Month> },
}

impl Freshness {
    /// Judges a platform whose newest loaded month is `latest`, when a month's report
    /// is due `days` after the month ends.
    pub fn judge(latest: Option<Month>, days: i32, today: NaiveDate) -> Freshness {
        let due = |month: Month| month.last_day() + chrono::Duration::days(i64::from(days));
        let mut expected = Month::of_period_end(today);
        while due(expected) > today {
            expected = expected.previous();
        }
        if latest.is_some_and(|latest| latest >= expected) {
            Freshness::OnTime { latest }
        } else {
            Freshness::Overdue { missing: expected, due: due(expected), latest }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRow {
    pub id: i64,
    pub job_id: i64,
    pub job_name: String,
    pub trigger: String,
    pub attempt: i32,
    pub status: String,
    pub backfill_month: Option<Month>,
    pub not_before: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub files_seen: i32,
    pub files_loaded: i32,
    pub files_skipped: i32,
    pub files_quarantined: i32,
    pub files_awaiting: i32,
    pub facts_loaded: i64,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRow {
    pub id: i64,
    pub file_name: String,
    pub status: String,
    pub source: String,
    pub job_name: Option<String>,
    pub format: Option<String>,
    pub platform: Option<String>,
    pub period: Option<(NaiveDate, NaiveDate)>,
    pub fact_count: i64,
    pub units_total: i64,
    pub error_count: i64,
    pub warnings: Vec<String>,
    pub sha256: String,
    pub size_bytes: i64,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileError {
    pub line: i64,
    pub column: String,
    pub value: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDetail {
    pub file: FileRow,
    pub path: Option<String>,
    /// Gross per currency, as text at full precision.
    pub totals: Vec<(String, String)>,
    /// The first errors (at most 1,000; `file.error_count` has them all).
    pub errors: Vec<FileError>,
    /// Whether a retry can be queued: quarantined, and found by a job.
    pub can_retry: bool,
    /// The loaded file this one replaces (or would, once confirmed): id and name.
    pub supersedes: Option<(i64, String)>,
    /// Who confirmed, withdrew or superseded it, and when.
    pub decided: Option<(String, DateTime<Utc>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub jobs: Vec<JobRow>,
    pub runs: Vec<RunRow>,
    pub files: Vec<FileRow>,
    pub file_counts: Vec<(String, i64)>,
}

#[server(prefix = "/api", endpoint = "ingestion_overview")]
pub async fn ingestion_overview() -> Result<Overview, AppError> {
    crate::auth::ssr::require_role(&[Role::Staff]).await?;
    ssr::overview(&crate::db::pool()?).await
}

#[server(prefix = "/api", endpoint = "report_file")]
pub async fn report_file(file_id: i64) -> Result<FileDetail, AppError> {
    crate::auth::ssr::require_role(&[Role::Staff]).await?;
    ssr::file_detail(&crate::db::pool()?, file_id).await
}

/// Queues a run of the job for the scheduler's next tick, paused or not.
#[server(prefix = "/api", endpoint = "run_job_now")]
pub async fn run_job_now(job_id: i64) -> Result<i64, AppError> {
    let staff = crate::auth::ssr::require_role(&[Role::Staff]).await?;
    ssr::queue_run(&crate::db::pool()?, job_id, ssr::Queue::Manual, staff.id).await
}

/// A paused job plans no scheduled runs; staff can still run it by hand.
#[server(prefix = "/api", endpoint = "set_job_paused")]
pub async fn set_job_paused(job_id: i64, paused: bool) -> Result<(), AppError> {
    crate::auth::ssr::require_role(&[Role::Staff]).await?;
    ssr::set_paused(&crate::db::pool()?, job_id, paused).await
}

/// Loads the job folder's files of a past month (`YYYY-MM`), quarantined ones again.
#[server(prefix = "/api", endpoint = "backfill_job")]
pub async fn backfill_job(job_id: i64, month: String) -> Result<i64, AppError> {
    let staff = crate::auth::ssr::require_role(&[Role::Staff]).await?;
    let month: Month = month.trim().parse()?;
    if month > Month::of_period_end(Utc::now().date_naive()) {
        return Err(AppError::invalid(format!("{month} has not happened yet.")));
    }
    ssr::queue_run(&crate::db::pool()?, job_id, ssr::Queue::Backfill(month), staff.id).await
}

/// Tries a quarantined file again (after its sender sent a fixed one, or after a
/// catalog or code fix), by queueing a run of the job that found it.
#[server(prefix = "/api", endpoint = "retry_report_file")]
pub async fn retry_report_file(file_id: i64) -> Result<i64, AppError> {
    let staff = crate::auth::ssr::require_role(&[Role::Staff]).await?;
    let pool = crate::db::pool()?;
    let job_id = ssr::retry_job_of(&pool, file_id).await?;
    ssr::queue_run(&pool, job_id, ssr::Queue::RetryQuarantined, staff.id).await
}

/// Confirms that a held file replaces the loaded one it names: a run reverses the old
/// file's facts and loads this one, in one transaction.
#[server(prefix = "/api", endpoint = "confirm_supersede")]
pub async fn confirm_supersede(file_id: i64) -> Result<i64, AppError> {
    let staff = crate::auth::ssr::require_role(&[Role::Staff]).await?;
    let pool = crate::db::pool()?;
    let job_id = ssr::confirm_job_of(&pool, file_id).await?;
    ssr::queue_run(&pool, job_id, ssr::Queue::Confirm(file_id), staff.id).await
}

/// Withdraws a loaded file: its facts are reversed (never deleted), at once.
#[server(prefix = "/api", endpoint = "withdraw_report_file")]
pub async fn withdraw_report_file(file_id: i64) -> Result<(), AppError> {
    let staff = crate::auth::ssr::require_role(&[Role::Staff]).await?;
    ssr::withdraw(&crate::db::pool()?, file_id, staff.id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_month_is_due_its_freshness_days_after_it_ends() {
        let month = |s: &str| Some(s.parse::<Month>().unwrap());
        // 23 November: September was due on 14 November, October is due on 15 December.
        let today = day("2026-11-23");
        assert_eq!(
            Freshness::judge(month("2026-09"), 45, today),
            Freshness::OnTime { latest: month("2026-09") }
        );
        assert_eq!(
            Freshness::judge(month("2026-08"), 45, today),
            Freshness::Overdue {
                missing: "2026-09".parse().unwrap(),
                due: day("2026-11-14"),
                latest: month("2026-08")
            }
        );
        assert!(matches!(Freshness::judge(None, 45, today), Freshness::Overdue { .. }));
    }
}
