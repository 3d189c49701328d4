//! The ingestion scheduler that runs inside `backbeat serve`.
//!
//! Every tick it does three things, each safe with any number of server processes on
//! one database:
//! 1. **Plan**: a job whose next slot is due gets a queued run for that slot. The run's
//!    key (job, slot, attempt) is unique, and the job's `next_run_at` moves on by
//!    compare-and-set, so a slot becomes one run whoever sees it first.
//! 2. **Sweep**: a running run whose lease ran out belonged to a process that died; it
//!    is failed and, like any failed run, retried after a backoff.
//! 3. **Claim and run**: the oldest queued run whose job is not leased is claimed with
//!    `FOR UPDATE SKIP LOCKED`, and its job leased to this process; the lease is
//!    renewed while the run works through the job's folder.
//!
//! Loading itself is the loader's (exactly once by checksum, all or nothing), so even a
//! run repeated after a crash cannot load a file twice.

use super::loader::{Origin, Outcome, Source, allocate_waiting, confirm_supersede, load_summed};
use super::source::{ReportSource, checksum};
use crate::config::SchedulerSettings;
use anyhow::{Context, Result, bail};
use app::domain::Month;
use chrono::{DateTime, Utc};
use croner::{Cron, parser::CronParser};
use sqlx::PgPool;
use std::path::{Path, PathBuf};

/// Parses a job's schedule: five cron fields, or six with seconds first.
pub fn parse_schedule(schedule: &str) -> Result<Cron, String> {
    CronParser::builder()
        .seconds(croner::parser::Seconds::Optional)
        .build()
        .parse(schedule.trim())
        .map_err(|e| format!("{schedule:?} is not a cron schedule: {e}"))
}

/// The first slot of `schedule` strictly after `after`.
pub fn next_slot(schedule: &str, after: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    parse_schedule(schedule)?
        .find_next_occurrence(&after, false)
        .map_err(|e| format!("{schedule:?} has no next time: {e}"))
}

pub struct Scheduler {
    pool: PgPool,
    settings: SchedulerSettings,
    data_dir: PathBuf,
    /// Names this process in leases and on runs.
    worker: String,
}

/// A claimed run, with what it needs to know about its job.
#[derive(Debug)]
struct Run {
    id: i64,
    job_id: i64,
    folder: String,
    source: String,
    backfill_month: Option<chrono::NaiveDate>,
    retry_quarantined: bool,
    /// Set for a run that confirms a held file's supersede.
    confirm_file: Option<i64>,
    requested_by: Option<i64>,
}

#[derive(Debug, Default)]
struct Counts {
    loaded: i32,
    skipped: i32,
    quarantined: i32,
    awaiting: i32,
    facts: i64,
}

impl Counts {
    /// Every file looked at ends in exactly one of the other counts.
    fn seen(&self) -> i32 {
        self.loaded + self.skipped + self.quarantined + self.awaiting
    }

    fn add(&mut self, outcome: Option<&Outcome>) {
        match outcome {
            None | Some(Outcome::AlreadyLoaded { .. }) => self.skipped += 1,
            Some(Outcome::Loaded { facts, .. }) => {
                self.loaded += 1;
                self.facts += *facts as i64;
            }
            Some(Outcome::Quarantined { .. }) => self.quarantined += 1,
            Some(Outcome::AwaitingConfirmation { .. }) => self.awaiting += 1,
        }
    }
}

impl Scheduler {
    pub fn new(pool: PgPool, settings: SchedulerSettings, data_dir: PathBuf) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
        let worker = format!("{host}:{}:{:08x}", std::process::id(), rand::random::<u32>());
        Scheduler { pool, settings, data_dir, worker }
    }

    /// Runs until the task is dropped. Trouble in one tick (the database restarting,
    /// say) is logged and the next tick tries again.
    pub async fn run_forever(self) {
        tracing::info!(worker = %self.worker, "ingestion scheduler started");
        loop {
            if let Err(e) = self.tick().await {
                tracing::error!("ingestion scheduler: {e:#}");
            }
            tokio::time::sleep(self.settings.tick).await;
        }
    }

    /// One round: plan due slots, sweep dead runs, then work the queue dry.
    pub async fn tick(&self) -> Result<()> {
        self.plan().await?;
        self.sweep().await?;
        while let Some(run) = self.claim().await? {
            self.execute(run).await?;
        }
        // Files a stopped process loaded but did not get to allocate.
        allocate_waiting(&self.pool).await?;
        Ok(())
    }

    async fn plan(&self) -> Result<()> {
        let due = sqlx::query!(
            r#"
            SELECT id, schedule AS "schedule!",
                   next_run_at AS "next_run_at: DateTime<Utc>", now() AS "now!: DateTime<Utc>"
            FROM ingestion_jobs
            WHERE enabled AND schedule IS NOT NULL AND (next_run_at IS NULL OR next_run_at <= now())
            "#
        )
        .fetch_all(&self.pool)
        .await?;
        for job in due {
            let next = match next_slot(&job.schedule, job.now) {
                Ok(next) => next,
                Err(e) => {
                    tracing::warn!(job = job.id, "{e}");
                    continue;
                }
            };
            let mut tx = self.pool.begin().await?;
            if let Some(slot) = job.next_run_at {
                sqlx::query!(
                    r#"
                    INSERT INTO ingestion_runs (job_id, trigger, scheduled_for)
                    VALUES ($1, 'schedule', $2)
                    ON CONFLICT (job_id, scheduled_for, attempt) DO NOTHING
                    "#,
                    job.id,
                    slot as _
                )
                .execute(&mut *tx)
                .await?;
            }
            // Slots missed while no server ran collapse into the one just planned.
            sqlx::query!(
                r#"
                UPDATE ingestion_jobs SET next_run_at = $2
                WHERE id = $1 AND next_run_at IS NOT DISTINCT FROM $3
                "#,
                job.id,
                next as _,
                job.next_run_at as _
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Fails the runs of processes that stopped renewing their lease, and retries them.
    async fn sweep(&self) -> Result<()> {
        let dead = sqlx::query_scalar!(
            r#"
            UPDATE ingestion_runs
            SET status = 'failed', finished_at = now(), lease_expires_at = NULL,
                error = 'the server running it stopped before it finished (' || worker || ')'
            WHERE status = 'running' AND lease_expires_at < now()
            RETURNING id
            "#
        )
        .fetch_all(&self.pool)
        .await?;
        for run_id in dead {
            tracing::warn!(run = run_id, "took over a run whose server stopped");
            self.retry_later(run_id).await?;
        }
        Ok(())
    }

    async fn claim(&self) -> Result<Option<Run>> {
        let lease = self.settings.lease.as_secs_f64();
        let run = sqlx::query!(
            r#"
            WITH candidate AS (
                SELECT r.id, r.job_id
                FROM ingestion_runs r JOIN ingestion_jobs j ON j.id = r.job_id
                WHERE r.status = 'queued' AND r.not_before <= now()
                  AND (j.lease_expires_at IS NULL OR j.lease_expires_at < now())
                  -- A paused job keeps its scheduled runs waiting; staff's own run.
                  AND (j.enabled OR r.trigger IN ('manual', 'backfill', 'upload', 'confirm'))
                ORDER BY r.not_before, r.id
                LIMIT 1
                FOR UPDATE OF r, j SKIP LOCKED
            ), leased AS (
                UPDATE ingestion_jobs j
                SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2)
                FROM candidate c WHERE j.id = c.job_id
                RETURNING j.id, j.folder, j.source
            )
            UPDATE ingestion_runs r
            SET status = 'running', worker = $1, started_at = now(),
                lease_expires_at = now() + make_interval(secs => $2)
            FROM candidate c JOIN leased l ON l.id = c.job_id
            WHERE r.id = c.id
            RETURNING r.id, r.job_id, l.folder, l.source,
                      r.backfill_month AS "backfill_month: chrono::NaiveDate", r.retry_quarantined,
                      r.report_file_id, r.requested_by
            "#,
            self.worker,
            lease
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(run.map(|r| Run {
            id: r.id,
            job_id: r.job_id,
            folder: r.folder,
            source: r.source,
            backfill_month: r.backfill_month,
            retry_quarantined: r.retry_quarantined,
            confirm_file: r.report_file_id,
            requested_by: r.requested_by,
        }))
    }

    async fn execute(&self, run: Run) -> Result<()> {
        tracing::info!(run = run.id, job = run.job_id, "ingestion run started");
        let renewal = self.keep_leased(&run);
        let result = tokio::select! {
            result = self.work(&run) => result,
            () = renewal => unreachable!("lease renewal never ends on its own"),
        };
        match result {
            Ok(counts) => self.finish(&run, counts, None).await,
            Err((counts, e)) => {
                tracing::warn!(run = run.id, "ingestion run failed: {e:#}");
                self.finish(&run, counts, Some(format!("{e:#}"))).await?;
                self.retry_later(run.id).await
            }
        }
    }

    /// Renews the job's and the run's lease at a third of its length, for as long as
    /// the run works.
    async fn keep_leased(&self, run: &Run) {
        let lease = self.settings.lease.as_secs_f64();
        loop {
            tokio::time::sleep(self.settings.lease / 3).await;
            let renewed = sqlx::query!(
                r#"
                WITH job AS (
                    UPDATE ingestion_jobs SET lease_expires_at = now() + make_interval(secs => $3)
                    WHERE id = $2 AND lease_owner = $4
                )
                UPDATE ingestion_runs SET lease_expires_at = now() + make_interval(secs => $3)
                WHERE id = $1 AND status = 'running'
                "#,
                run.id,
                run.job_id,
                lease,
                self.worker
            )
            .execute(&self.pool)
            .await;
            if let Err(e) = renewed {
                tracing::warn!(run = run.id, "could not renew the lease: {e}");
            }
        }
    }

    /// Loads the folder's new files, one by one, recording progress as it goes; or,
    /// for a confirmation, the held file in place of the one it supersedes.
    async fn work(&self, run: &Run) -> Result<Counts, (Counts, anyhow::Error)> {
        let mut counts = Counts::default();
        if let Some(file_id) = run.confirm_file {
            return match confirm_supersede(&self.pool, file_id, run.requested_by).await {
                Ok(outcome) => {
                    counts.add(Some(&outcome));
                    Ok(counts)
                }
                Err(e) => Err((counts, e)),
            };
        }
        let files = match self.files(run) {
            Ok(files) => files,
            Err(e) => return Err((counts, e)),
        };
        let source = if run.source == "upload" { Source::Upload } else { Source::DropFolder };
        let origin = Origin { source, job_id: Some(run.job_id), run_id: Some(run.id) };
        for path in files {
            match self.load(run, &path, &origin).await {
                Ok(outcome) => counts.add(outcome.as_ref()),
                Err(e) => return Err((counts, e.context(format!("loading {}", path.display())))),
            }
            if let Err(e) = self.progress(run.id, &counts).await {
                return Err((counts, e));
            }
        }
        Ok(counts)
    }

    /// Loads one file unless it was seen before (or, for a backfill, is of another
    /// month). Quarantined files are tried again only when staff asked.
    async fn load(&self, run: &Run, path: &Path, origin: &Origin) -> Result<Option<Outcome>> {
        let sum = checksum(path).with_context(|| format!("reading {}", path.display()))?;
        let sha256 = &sum.0;
        let status = sqlx::query_scalar!(
            r#"
            SELECT status FROM report_files WHERE sha256 = $1
            ORDER BY status = 'quarantined', id DESC LIMIT 1
            "#,
            sha256
        )
        .fetch_optional(&self.pool)
        .await?;
        let retry = run.retry_quarantined || run.backfill_month.is_some();
        match status.as_deref() {
            None => {}
            Some("quarantined") if retry => {}
            Some(_) => return Ok(None),
        }
        if let Some(month) = run.backfill_month
            && report_month(path) != Some(Month::of_period_end(month))
        {
            return Ok(None);
        }
        let outcome = load_summed(&self.pool, path, sum, origin).await?;
        allocate_waiting(&self.pool).await?;
        Ok(Some(outcome))
    }

    /// The report files in the run's folder, in name order: hidden files (a report
    /// still being written, by convention) and folders are left alone.
    fn files(&self, run: &Run) -> Result<Vec<PathBuf>> {
        let folder = self.data_dir.join(&run.folder);
        if !folder.is_dir() {
            bail!("the folder {} does not exist", folder.display());
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .with_context(|| format!("reading the folder {}", folder.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
            .collect();
        files.sort();
        Ok(files)
    }

    async fn progress(&self, run_id: i64, counts: &Counts) -> Result<()> {
        record_counts(&self.pool, run_id, counts).await
    }

    async fn finish(&self, run: &Run, counts: Counts, error: Option<String>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        record_counts(&mut *tx, run.id, &counts).await?;
        sqlx::query!(
            r#"
            UPDATE ingestion_runs
            SET status = CASE WHEN $2::text IS NULL THEN 'succeeded' ELSE 'failed' END,
                error = $2, finished_at = now(), lease_expires_at = NULL
            WHERE id = $1
            "#,
            run.id,
            error
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            r#"
            UPDATE ingestion_jobs SET lease_owner = NULL, lease_expires_at = NULL
            WHERE id = $1 AND lease_owner = $2
            "#,
            run.job_id,
            self.worker
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(run = run.id, ?counts, "ingestion run finished");
        Ok(())
    }

    /// Queues the next attempt of a failed run after an exponential backoff, unless it
    /// was the last one allowed.
    async fn retry_later(&self, run_id: i64) -> Result<()> {
        let base = self.settings.retry_base.as_secs_f64();
        sqlx::query!(
            r#"
            INSERT INTO ingestion_runs
                (job_id, trigger, scheduled_for, attempt, not_before, backfill_month,
                 retry_quarantined, report_file_id, requested_by)
            SELECT job_id, 'retry', scheduled_for, attempt + 1,
                   now() + make_interval(secs => $2 * 2 ^ (attempt - 1)),
                   backfill_month, retry_quarantined, report_file_id, requested_by
            FROM ingestion_runs
            WHERE id = $1 AND attempt < $3
            ON CONFLICT (job_id, scheduled_for, attempt) DO NOTHING
            "#,
            run_id,
            base,
            self.settings.max_attempts
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Writes a run's file and fact counts (as it goes, and once more at the end).
async fn record_counts(db: impl sqlx::PgExecutor<'_>, run_id: i64, counts: &Counts) -> Result<()> {
    sqlx::query!(
        r#"
        UPDATE ingestion_runs
        SET files_seen = $2, files_loaded = $3, files_skipped = $4,
            files_quarantined = $5, files_awaiting = $6, facts_loaded = $7
        WHERE id = $1
        "#,
        run_id,
        counts.seen(),
        counts.loaded,
        counts.skipped,
        counts.quarantined,
        counts.awaiting,
        counts.facts
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The accounting month a report file says it covers, from its first lines; `None`
/// when that cannot be told without reading it all (the loader will say why).
pub fn report_month(path: &Path) -> Option<Month> {
    let report = ReportSource::open(path).ok()?;
    let mut meta = None;
    // Reads the file through (backfills are rare); the first fact's meta has the
    // period, and errors are the loader's to report.
    let _ = super::parse(&report, |m, _| {
        if meta.is_none() {
            meta = Some(m.accounting_month());
        }
    });
    meta
}

/// A job to add.
pub struct NewJob<'a> {
    pub name: &'a str,
    pub platform: Option<app::domain::Platform>,
    pub folder: &'a str,
    /// `None` for a job that runs only when asked (uploads).
    pub schedule: Option<&'a str>,
    pub source: Source,
    pub freshness_days: i32,
    /// Run once at the next tick, then on schedule.
    pub run_at_once: bool,
}

/// Adds a job, checking its schedule first; returns its id.
pub async fn create_job(db: impl sqlx::PgExecutor<'_>, job: &NewJob<'_>) -> Result<i64> {
    let next_run_at = match job.schedule {
        Some(schedule) if !job.run_at_once => {
            Some(next_slot(schedule, Utc::now()).map_err(anyhow::Error::msg)?)
        }
        Some(schedule) => {
            parse_schedule(schedule).map_err(anyhow::Error::msg)?;
            Some(Utc::now())
        }
        None => None,
    };
    let source = if job.source == Source::Upload { "upload" } else { "drop_folder" };
    let id = sqlx::query_scalar!(
        r#"
        INSERT INTO ingestion_jobs
            (name, platform, folder, schedule, source, freshness_days, next_run_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        RETURNING id
        "#,
        job.name,
        job.platform.map(|p| p.code()),
        job.folder,
        job.schedule,
        source,
        job.freshness_days,
        next_run_at as _
    )
    .fetch_one(db)
    .await
    .with_context(|| format!("adding the job {:?}", job.name))?;
    Ok(id)
}
