//! Loading a report file into Postgres: exactly once (by checksum), all or nothing
//! (one transaction, facts streamed in with COPY), or quarantined with its errors.

use super::matcher::{Matched, Matcher, Noticed};
use super::{ErrorLog, Fact, LineError, ReportMeta, source::ReportSource, source::checksum};
use anyhow::{Context, Result, bail};
use app::domain::{Month, Platform};
pub use app::ingestion::ssr::{Allocated, allocate_waiting};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How a file came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    CommandLine,
    Upload,
    DropFolder,
}

/// Where a file came from: how, and which job's run found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub source: Source,
    pub job_id: Option<i64>,
    pub run_id: Option<i64>,
}

impl Origin {
    pub const COMMAND_LINE: Origin =
        Origin { source: Source::CommandLine, job_id: None, run_id: None };
}

impl Source {
    fn code(self) -> &'static str {
        match self {
            Source::CommandLine => "command_line",
            Source::Upload => "upload",
            Source::DropFolder => "drop_folder",
        }
    }
}

#[derive(Debug)]
pub enum Outcome {
    Loaded {
        file_id: i64,
        facts: u64,
        matched: u64,
        warnings: Vec<String>,
        /// From opening the file to its facts' commit.
        took: Duration,
    },
    /// The same bytes were loaded before (as this file).
    AlreadyLoaded {
        file_id: i64,
    },
    Quarantined {
        file_id: i64,
        errors: u64,
        first: Option<LineError>,
    },
    /// Same platform, sender and month as loaded file `supersedes`: staff decide.
    AwaitingConfirmation {
        file_id: i64,
        supersedes: i64,
    },
}

impl Outcome {
    fn loaded(file_id: i64, meta: ReportMeta, totals: &Totals, took: Duration) -> Outcome {
        Outcome::Loaded {
            file_id,
            facts: totals.facts,
            matched: totals.matched,
            warnings: meta.warnings,
            took,
        }
    }
}

/// What a parser sends the database side: a month to make room for, or COPY rows.
enum Chunk {
    Month(Month),
    Rows(Vec<u8>),
}

/// Loads `path`, then allocates it (and whatever else waits for allocation). Errors are
/// the loader's own trouble (no database, say); problems with the file are an
/// `Outcome::Quarantined`.
pub async fn load_file(pool: &PgPool, path: &Path, origin: &Origin) -> Result<Outcome> {
    let outcome = load_only(pool, path, origin).await?;
    allocate_waiting(pool).await?;
    Ok(outcome)
}

/// Loads `path`'s facts, leaving their allocation to the allocation stage
/// ([`allocate_waiting`]): what `backbeat ingest --defer-allocation` does for a bulk load.
pub async fn load_only(pool: &PgPool, path: &Path, origin: &Origin) -> Result<Outcome> {
    let sum = checksum(path).with_context(|| format!("reading {}", path.display()))?;
    load_summed(pool, path, sum, origin).await
}

/// [`load_only`] for a caller that has already read the file's checksum and size
/// (the scheduler, which looks the file up first): the file is not hashed twice.
pub async fn load_summed(
    pool: &PgPool,
    path: &Path,
    (sha256, size): (String, u64),
    origin: &Origin,
) -> Result<Outcome> {
    let started = Instant::now();
    if let Some(file_id) = seen(pool, &sha256).await? {
        return Ok(Outcome::AlreadyLoaded { file_id });
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let file = FileRow { sha256, name, size, origin: *origin, path: absolute(path) };
    let report = match ReportSource::open(path) {
        Ok(report) => report,
        Err(e) => return quarantine(pool, &file, ErrorLog::unreadable(e)).await,
    };
    let mut tx = pool.begin().await?;
    let file_id = match insert_loaded(&mut tx, &file).await? {
        Some(id) => id,
        // Another process loaded the same bytes while this one was starting.
        None => {
            return Ok(Outcome::AlreadyLoaded {
                file_id: seen(pool, &file.sha256).await?.unwrap_or(0),
            });
        }
    };
    match copy_report(&mut tx, report, file_id, pool).await? {
        Ok((meta, totals)) => {
            // Facts are only known once parsed; a rare supersede costs a rolled-back COPY.
            if let Some(previous) = loaded_for_same_period(&mut tx, &meta, file_id).await? {
                tx.rollback().await?;
                return hold(pool, &file, &meta, &totals, previous).await;
            }
            finish_loaded(&mut tx, file_id, &meta, &totals).await?;
            tx.commit().await?;
            Ok(Outcome::loaded(file_id, meta, &totals, started.elapsed()))
        }
        Err(errors) => {
            tx.rollback().await?;
            quarantine(pool, &file, errors).await
        }
    }
}

/// Parses `report` on a blocking thread and COPYs its facts in `tx` as file `file_id`.
/// The outer error is the database's; the inner one the file's.
async fn copy_report(
    tx: &mut PgConnection,
    report: ReportSource,
    file_id: i64,
    pool: &PgPool,
) -> Result<std::result::Result<(ReportMeta, Totals), ErrorLog>> {
    // The catalog's ids are read while the parser starts: a DSR's first pass (totals
    // before any fact) then costs nothing extra, and other formats wait for it at
    // their first fact, as they did before.
    let (matcher_sender, matcher) = std::sync::mpsc::sync_channel::<Matcher>(1);
    let loading = tokio::spawn({
        let pool = pool.clone();
        async move {
            let loaded = Matcher::load(&pool).await?;
            let _ = matcher_sender.send(loaded);
            anyhow::Ok(())
        }
    });
    let (sender, receiver) = mpsc::channel::<Chunk>(8);
    // Sent buffers come back to be filled again: a load allocates a dozen buffers
    // whatever its size, and memory stays flat (see `make bench`).
    let (spare_sender, spare) = std::sync::mpsc::channel::<Vec<u8>>();
    let parsing = tokio::task::spawn_blocking(move || {
        parse_to_copy(report, file_id, matcher, Buffers { sender, spare })
    });
    copy_chunks(tx, receiver, spare_sender).await?;
    // A failed catalog read fails the load (the parser matched nothing meanwhile, and
    // the caller's transaction is not committed).
    loading.await.context("reading the catalog")??;
    parsing.await.context("the parser stopped")
}

/// A loaded file for the same platform, sender and month: the one this file would
/// replace.
async fn loaded_for_same_period(
    tx: &mut PgConnection,
    meta: &ReportMeta,
    file_id: i64,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar!(
        r#"
        SELECT id FROM report_files
        WHERE platform = $1 AND sender = $2 AND accounting_month = $3
          AND status = 'loaded' AND id <> $4
        ORDER BY id DESC LIMIT 1
        "#,
        meta.platform.code(),
        meta.sender,
        meta.accounting_month().first_day() as _,
        file_id
    )
    .fetch_optional(&mut *tx)
    .await?)
}

/// Records a file that would supersede `previous`, with what it holds, to wait for
/// staff. Nothing of it is loaded until they confirm ([`confirm_supersede`]).
async fn hold(
    pool: &PgPool,
    file: &FileRow,
    meta: &ReportMeta,
    totals: &Totals,
    previous: i64,
) -> Result<Outcome> {
    let file_id = sqlx::query_scalar!(
        r#"
        INSERT INTO report_files
            (sha256, file_name, size_bytes, source, status, job_id, run_id, path, format,
             platform, sender, period_start, period_end, accounting_month, fact_count,
             units_total, warnings, supersedes_id)
        VALUES ($1, $2, $3, $4, 'awaiting_confirmation', $5, $6, $7, $8, $9, $10, $11, $12,
                $13, $14, $15, $16, $17)
        ON CONFLICT (sha256) WHERE status <> 'quarantined' DO NOTHING
        RETURNING id
        "#,
        file.sha256,
        file.name,
        file.size as i64,
        file.origin.source.code(),
        file.origin.job_id,
        file.origin.run_id,
        file.path,
        meta.format,
        meta.platform.code(),
        meta.sender,
        meta.period_start as _,
        meta.period_end as _,
        meta.accounting_month().first_day() as _,
        totals.facts as i64,
        totals.units,
        &meta.warnings,
        previous
    )
    .fetch_optional(pool)
    .await?;
    Ok(match file_id {
        Some(file_id) => Outcome::AwaitingConfirmation { file_id, supersedes: previous },
        None => Outcome::AlreadyLoaded { file_id: seen(pool, &file.sha256).await?.unwrap_or(0) },
    })
}

/// Staff confirmed that file `file_id` supersedes the file it names: in one
/// transaction, the old file's facts are reversed, it is marked superseded, and this
/// file is loaded. The file must still be where it was found, unchanged.
pub async fn confirm_supersede(
    pool: &PgPool,
    file_id: i64,
    decided_by: Option<i64>,
) -> Result<Outcome> {
    let held = sqlx::query!(
        "SELECT status, path, sha256, supersedes_id FROM report_files WHERE id = $1",
        file_id
    )
    .fetch_optional(pool)
    .await?
    .with_context(|| format!("there is no report file {file_id}"))?;
    if held.status != "awaiting_confirmation" {
        bail!("file {file_id} is {}, not awaiting confirmation", held.status.replace('_', " "));
    }
    let path = held.path.map(std::path::PathBuf::from).context("the file's path was not kept")?;
    let (sha256, _) = checksum(&path)
        .with_context(|| format!("the file is no longer at {}; put it back", path.display()))?;
    if sha256 != held.sha256 {
        bail!("{} has changed since it was received; upload the new one", path.display());
    }
    let report =
        ReportSource::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let mut tx = pool.begin().await?;
    let status: String =
        sqlx::query_scalar!("SELECT status FROM report_files WHERE id = $1 FOR UPDATE", file_id)
            .fetch_one(&mut *tx)
            .await?;
    if status != "awaiting_confirmation" {
        bail!("file {file_id} was decided meanwhile: it is {status}");
    }
    if let Some(previous) = held.supersedes_id {
        app::ingestion::ssr::reverse_file(&mut tx, previous, "superseded", decided_by).await?;
    }
    let started = Instant::now();
    match copy_report(&mut tx, report, file_id, pool).await? {
        Ok((meta, totals)) => {
            finish_loaded(&mut tx, file_id, &meta, &totals).await?;
            sqlx::query!(
                "UPDATE report_files SET decided_by = $2, decided_at = now() WHERE id = $1",
                file_id,
                decided_by
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            allocate_waiting(pool).await?;
            Ok(Outcome::loaded(file_id, meta, &totals, started.elapsed()))
        }
        Err(errors) => {
            tx.rollback().await?;
            let first = errors.kept().first().map(ToString::to_string).unwrap_or_default();
            bail!("file {file_id} no longer parses ({first}); nothing was changed")
        }
    }
}

fn absolute(path: &Path) -> String {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()).display().to_string()
}

struct FileRow {
    sha256: String,
    name: String,
    size: u64,
    origin: Origin,
    path: String,
}

async fn seen(pool: &PgPool, sha256: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM report_files WHERE sha256 = $1 AND status <> 'quarantined'",
        sha256
    )
    .fetch_optional(pool)
    .await?)
}

/// The file's row, claimed first so its id can go on every fact; `None` if the same
/// bytes were claimed by another loader meanwhile.
async fn insert_loaded(tx: &mut PgConnection, file: &FileRow) -> Result<Option<i64>> {
    let inserted = sqlx::query_scalar!(
        r#"
        INSERT INTO report_files
            (sha256, file_name, size_bytes, source, status, job_id, run_id, path)
        VALUES ($1, $2, $3, $4, 'loaded', $5, $6, $7)
        ON CONFLICT (sha256) WHERE status <> 'quarantined' DO NOTHING
        RETURNING id
        "#,
        file.sha256,
        file.name,
        file.size as i64,
        file.origin.source.code(),
        file.origin.job_id,
        file.origin.run_id,
        file.path
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(inserted)
}

#[derive(Default)]
struct Totals {
    facts: u64,
    matched: u64,
    units: i64,
    gross: BTreeMap<&'static str, Decimal>,
    noticed: Noticed,
}

/// The parser's ends of the two channels: chunks out, emptied buffers back.
struct Buffers {
    sender: mpsc::Sender<Chunk>,
    spare: std::sync::mpsc::Receiver<Vec<u8>>,
}

impl Buffers {
    fn next(&self) -> String {
        // Buffers come back cleared, so they are valid (empty) UTF-8.
        self.spare
            .try_recv()
            .ok()
            .and_then(|buffer| String::from_utf8(buffer).ok())
            .unwrap_or_else(|| String::with_capacity(CHUNK + 4096))
    }
}

/// Runs on a blocking thread: parses the file and encodes facts as COPY text rows,
/// sent on in chunks of about a megabyte so memory stays flat whatever the file size.
fn parse_to_copy(
    report: ReportSource,
    file_id: i64,
    matcher: std::sync::mpsc::Receiver<Matcher>,
    buffers: Buffers,
) -> std::result::Result<(ReportMeta, Totals), ErrorLog> {
    let mut writer = CopyWriter {
        file_id,
        matcher: None,
        pending_matcher: Some(matcher),
        buffer: buffers.next(),
        buffers,
        months: HashSet::new(),
        totals: Totals::default(),
    };
    let meta = super::parse(&report, |meta, fact| writer.write(meta, fact))?;
    writer.flush();
    // What was noticed holds for the catalog the lines were compared with.
    writer.totals.noticed.catalog_version = writer.matcher.and_then(|m| m.catalog_version());
    Ok((meta, writer.totals))
}

const CHUNK: usize = 1 << 20;

/// Encodes facts as COPY rows and hands them to the database side in chunks.
struct CopyWriter {
    file_id: i64,
    /// The catalog's ids, once they have arrived from `pending_matcher`.
    matcher: Option<Matcher>,
    pending_matcher: Option<std::sync::mpsc::Receiver<Matcher>>,
    buffers: Buffers,
    buffer: String,
    months: HashSet<Month>,
    totals: Totals,
}

impl CopyWriter {
    fn write(&mut self, meta: &ReportMeta, fact: Fact) {
        let month = fact.accounting_month();
        if self.months.insert(month) {
            self.flush();
            let _ = self.buffers.sender.blocking_send(Chunk::Month(month));
        }
        let matcher = self.matcher.get_or_insert_with(|| {
            // The catalog's ids arrive once, at the first fact. If reading them failed,
            // nothing matches; the load fails anyway with that error (see `copy_report`).
            self.pending_matcher.take().and_then(|r| r.recv().ok()).unwrap_or_default()
        });
        let track = matcher.track(meta.platform, &fact);
        self.totals.add(&fact, track, matcher);
        encode(&mut self.buffer, self.file_id, meta.platform, track, &fact);
        if self.buffer.len() >= CHUNK {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.buffer.is_empty() {
            let rows = std::mem::replace(&mut self.buffer, self.buffers.next());
            // A closed channel means the database side failed; it reports that itself.
            let _ = self.buffers.sender.blocking_send(Chunk::Rows(rows.into_bytes()));
        }
    }
}

impl Totals {
    fn add(&mut self, fact: &Fact, track: Option<Matched>, matcher: &Matcher) {
        self.facts += 1;
        if let Some(track) = track {
            self.matched += 1;
            self.noticed.add(matcher, track, fact);
        }
        self.units += fact.units;
        *self.gross.entry(fact.currency.code()).or_default() += fact.gross;
    }
}

const COPY_FACTS: &str = "COPY stream_facts (report_file_id, line_number, accounting_month, \
    period_start, period_end, platform, territory, usage_type, isrc, upc, platform_track_id, \
    track_id, title, artist, units, gross, currency, collector, label_id) FROM STDIN";

/// One fact as a line of COPY's text format, written straight into the chunk.
fn encode(
    line: &mut String,
    file_id: i64,
    platform: Platform,
    track: Option<Matched>,
    fact: &Fact,
) {
    let _ = write!(
        line,
        "{file_id}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t",
        fact.line,
        fact.accounting_month().first_day(),
        fact.period_start,
        fact.period_end,
        platform.code(),
        fact.territory,
        fact.usage.code()
    );
    optional(line, fact.isrc.as_ref().map(|i| i.as_str()));
    optional(line, fact.upc.as_ref().map(|u| u.gtin13()));
    optional(line, fact.platform_track_id.as_deref());
    match track {
        Some(t) => {
            let _ = write!(line, "{}\t", t.track);
        }
        None => line.push_str("\\N\t"),
    }
    escaped(line, &fact.title);
    line.push('\t');
    escaped(line, &fact.artist);
    let _ = write!(line, "\t{}\t{}\t{}\t", fact.units, fact.gross, fact.currency.code());
    match &fact.collector {
        Some(c) => escaped(line, c),
        None => line.push_str("\\N"),
    }
    match track {
        Some(t) => {
            let _ = write!(line, "\t{}", t.label);
        }
        None => line.push_str("\t\\N"),
    }
    line.push('\n');
}

fn optional(line: &mut String, value: Option<&str>) {
    match value {
        Some(v) => escaped(line, v),
        None => line.push_str("\\N"),
    }
    line.push('\t');
}

/// COPY text format: backslash, tab and line ends are escaped.
fn escaped(line: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => line.push_str("\\\\"),
            '\t' => line.push_str("\\t"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            c => line.push(c),
        }
    }
}

/// Streams the parser's chunks into COPY, ending one COPY and making the partition
/// whenever a new month starts.
async fn copy_chunks(
    tx: &mut PgConnection,
    mut receiver: mpsc::Receiver<Chunk>,
    spare: std::sync::mpsc::Sender<Vec<u8>>,
) -> Result<()> {
    let give_back = |mut rows: Vec<u8>| {
        rows.clear();
        // The parser may have finished: then the buffer is simply dropped.
        let _ = spare.send(rows);
    };
    let mut pending = receiver.recv().await;
    while let Some(chunk) = pending {
        match chunk {
            Chunk::Month(month) => {
                ensure_partition(tx, month).await?;
                pending = receiver.recv().await;
            }
            Chunk::Rows(first) => {
                let mut copy = tx.copy_in_raw(COPY_FACTS).await?;
                copy.send(first.as_slice()).await?;
                give_back(first);
                pending = loop {
                    match receiver.recv().await {
                        Some(Chunk::Rows(rows)) => {
                            copy.send(rows.as_slice()).await?;
                            give_back(rows);
                        }
                        other => break other,
                    }
                };
                copy.finish().await?;
            }
        }
    }
    Ok(())
}

/// Facts are partitioned by accounting month; the first file of a month makes its
/// partition. Creating one locks the parent table until commit, so check first.
///
/// Two loaders making the same month's partition at once (two replicas, or a replica
/// and `backbeat ingest`) would collide: `IF NOT EXISTS` is checked before waiting on
/// the other's lock, so the second fails with "already exists". A lock per month,
/// held to the end of the caller's transaction, makes the second wait and look again.
pub async fn ensure_partition(tx: &mut PgConnection, month: Month) -> Result<()> {
    let name = format!("stream_facts_y{}m{:02}", month.year(), month.month());
    if table_exists(tx, &name).await? {
        return Ok(());
    }
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('stream_facts partition'), $1)")
        .bind(month.year() * 100 + month.month() as i32)
        .execute(&mut *tx)
        .await?;
    if !table_exists(tx, &name).await? {
        let ddl = format!(
            "CREATE TABLE {name} PARTITION OF stream_facts FOR VALUES FROM ('{}') TO ('{}')",
            month.first_day(),
            month.next().first_day()
        );
        sqlx::query(&ddl).execute(&mut *tx).await?;
    }
    Ok(())
}

/// Read from pg_class with the statement's snapshot: `to_regclass` looks in the
/// session's catalog cache, which need not have heard of a table another transaction
/// has just committed.
async fn table_exists(tx: &mut PgConnection, name: &str) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = $1          AND relnamespace = current_schema()::regnamespace)",
    )
    .bind(name)
    .fetch_one(tx)
    .await?)
}

/// Records what the file held. Its facts wait for the allocation stage
/// (`allocated_at` stays empty).
async fn finish_loaded(
    tx: &mut PgConnection,
    file_id: i64,
    meta: &ReportMeta,
    totals: &Totals,
) -> Result<()> {
    sqlx::query!(
        r#"
        UPDATE report_files
        SET status = 'loaded', format = $2, platform = $3, sender = $4, period_start = $5,
            period_end = $6,
            accounting_month = $7, fact_count = $8, units_total = $9, warnings = $10,
            collector_tracks = $11, renamed_tracks = $12, compared_at_version = $13,
            loaded_at = now()
        WHERE id = $1
        "#,
        file_id,
        meta.format,
        meta.platform.code(),
        meta.sender,
        meta.period_start as _,
        meta.period_end as _,
        meta.accounting_month().first_day() as _,
        totals.facts as i64,
        totals.units,
        &meta.warnings,
        &totals.noticed.collectors.iter().copied().collect::<Vec<i64>>(),
        &totals.noticed.renamed.iter().copied().collect::<Vec<i64>>(),
        totals.noticed.catalog_version
    )
    .execute(&mut *tx)
    .await?;
    for (currency, gross) in &totals.gross {
        sqlx::query!(
            "INSERT INTO report_file_totals (report_file_id, currency, gross) VALUES ($1, $2, $3)",
            file_id,
            currency,
            gross
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Records a refused file and its first errors, in one transaction of its own.
async fn quarantine(pool: &PgPool, file: &FileRow, errors: ErrorLog) -> Result<Outcome> {
    let mut tx = pool.begin().await?;
    let file_id = sqlx::query_scalar!(
        r#"
        INSERT INTO report_files
            (sha256, file_name, size_bytes, source, status, error_count, job_id, run_id, path)
        VALUES ($1, $2, $3, $4, 'quarantined', $5, $6, $7, $8)
        RETURNING id
        "#,
        file.sha256,
        file.name,
        file.size as i64,
        file.origin.source.code(),
        errors.total() as i64,
        file.origin.job_id,
        file.origin.run_id,
        file.path
    )
    .fetch_one(&mut *tx)
    .await?;
    let kept = errors.kept();
    let ordinals: Vec<i32> = (1..=kept.len() as i32).collect();
    let lines: Vec<i64> = kept.iter().map(|e| e.line as i64).collect();
    let columns: Vec<String> = kept.iter().map(|e| e.column.clone()).collect();
    let values: Vec<String> = kept.iter().map(|e| e.value.replace('\0', "")).collect();
    let reasons: Vec<String> = kept.iter().map(|e| e.reason.clone()).collect();
    sqlx::query!(
        r#"
        INSERT INTO report_file_errors (report_file_id, ordinal, line, column_name, value, reason)
        SELECT $1, * FROM UNNEST($2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[])
        "#,
        file_id,
        &ordinals,
        &lines,
        &columns,
        &values,
        &reasons
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Outcome::Quarantined { file_id, errors: errors.total(), first: kept.first().cloned() })
}
