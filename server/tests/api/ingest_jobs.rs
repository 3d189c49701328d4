//! The scheduler: each scheduled slot runs once however many servers share the
//! database, failures are retried with backoff, and staff run, pause, backfill, retry
//! and upload. Servers here are real: in-process apps, and `backbeat serve` processes.

use crate::helpers::{Browser, PASSWORD, TestApp, error_of, fresh_database, user};
use app::{
    domain::{Platform, Role},
    users::Link,
};
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use server::generate::{self, Report, Spec};
use server::ingest::{
    loader::Source,
    scheduler::{NewJob, create_job},
};
use sqlx::PgPool;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Writes generated reports of `platform` for `months` into `dir`; returns their lines.
fn write_reports(dir: &Path, platform: Platform, months: &[&str], rows: usize) -> usize {
    let tracks = generate::unknown_tracks();
    for month in months {
        let spec = Spec { platform, month: month.parse().unwrap(), rows, seed: 3 };
        let report = Report::plan(spec, &tracks);
        generate::command::write_file(&report, dir, || {}).unwrap();
    }
    months.len() * rows
}

fn drop_job<'a>(folder: &'a str, schedule: Option<&'a str>, run_at_once: bool) -> NewJob<'a> {
    NewJob {
        name: "Spotify drop folder",
        platform: Some(Platform::Spotify),
        folder,
        schedule,
        source: Source::DropFolder,
        freshness_days: 45,
        run_at_once,
    }
}

/// Polls `condition` (a boolean query) until it holds or `seconds` pass.
async fn eventually(pool: &PgPool, condition: &str, seconds: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        let holds: bool = sqlx::query_scalar(condition).fetch_one(pool).await.unwrap();
        if holds {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// `backbeat serve` processes, killed when dropped.
struct Servers(Vec<Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn serve(database_url: &str, data_dir: &Path) -> Child {
    serve_at(database_url, data_dir, "127.0.0.1:0")
}

/// `backbeat serve` listening on `addr`, sharing `data_dir` (drop folders, uploads) with
/// any other server given the same folder.
fn serve_at(database_url: &str, data_dir: &Path, addr: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_backbeat"))
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("BACKBEAT_ADDR", addr)
        .env("BACKBEAT_DATA_DIR", data_dir)
        .env("BACKBEAT_SCHEDULER_TICK_SECONDS", "1")
        .env("BACKBEAT_SCHEDULER_LEASE_SECONDS", "10")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("backbeat serve starts")
}

#[derive(sqlx::FromRow, Debug)]
struct RunSeen {
    scheduled_for: DateTime<Utc>,
    status: String,
    worker: Option<String>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

/// A job's runs, ordered by slot, as a schedule of a slot every two seconds for
/// `seconds` seconds leaves them: at least three, one per slot, never overlapping.
fn assert_each_slot_run_once(runs: &[RunSeen], seconds: &str) {
    assert!(runs.len() >= 3, "a slot every two seconds for {seconds} seconds: {runs:?}");
    let mut slots: Vec<_> = runs.iter().map(|r| r.scheduled_for).collect();
    slots.dedup();
    assert_eq!(slots.len(), runs.len(), "one run per slot: {runs:?}");
    let finished: Vec<&RunSeen> = runs.iter().filter(|r| r.status == "succeeded").collect();
    assert!(finished.len() >= 3, "{runs:?}");
    for pair in finished.windows(2) {
        assert!(
            pair[1].started_at >= pair[0].finished_at,
            "runs of one job never overlap: {pair:?}"
        );
    }
}

#[tokio::test]
async fn two_server_processes_run_each_scheduled_slot_once() {
    let (url, pool) = fresh_database().await;
    let data_dir = tempfile::tempdir().unwrap();
    let folder = data_dir.path().join("drop");
    let lines = write_reports(&folder, Platform::Spotify, &["2026-01", "2026-02", "2026-03"], 40);
    create_job(&pool, &drop_job("drop", Some("*/2 * * * * *"), false)).await.unwrap();

    let servers = Servers(vec![serve(&url, data_dir.path()), serve(&url, data_dir.path())]);
    tokio::time::sleep(Duration::from_secs(11)).await;
    drop(servers);

    let runs: Vec<RunSeen> = sqlx::query_as(
        "SELECT scheduled_for, status, worker, started_at, finished_at FROM ingestion_runs ORDER BY scheduled_for",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_each_slot_run_once(&runs, "eleven");
    let workers: std::collections::HashSet<_> =
        runs.iter().filter_map(|r| r.worker.clone()).collect();
    assert!(!workers.is_empty());

    let (files, loaded, facts): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE status = 'loaded'), (SELECT count(*) FROM stream_facts) FROM report_files",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((files, loaded, facts), (3, 3, lines as i64), "every file loaded once");
}

/// Free ports on 127.0.0.1, one per server: each bound (all at once, so they differ),
/// read and released. Another process could take one in between; that server then
/// fails to start, and [`wait_until_up`] says so.
fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: Vec<_> =
        (0..N).map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    std::array::from_fn(|i| listeners[i].local_addr().unwrap().port())
}

/// Waits until the server at `address` answers its health check, failing the test if
/// its process exits first or it has not answered within a minute.
async fn wait_until_up(child: &mut Child, address: &str) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the server for {address} exited before answering: {status}");
        }
        let health = client.get(format!("{address}/healthz")).send().await;
        if health.is_ok_and(|r| r.status() == StatusCode::OK) {
            return;
        }
        assert!(Instant::now() < deadline, "{address} did not answer within a minute");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What replicas behind a load balancer without sticky sessions rely on: two
/// `backbeat serve` processes on their own ports, one database and one data folder.
/// A login on one is a login on the other, a logout on either ends it on both, an
/// upload received by one is loaded once by whichever scheduler claims its run, and
/// each scheduled slot still runs once.
#[tokio::test]
async fn two_servers_on_their_own_ports_share_sessions_uploads_and_each_slot() {
    let (url, pool) = fresh_database().await;
    let data_dir = tempfile::tempdir().unwrap();
    let lines = write_reports(
        &data_dir.path().join("drop"),
        Platform::Spotify,
        &["2026-01", "2026-02", "2026-03"],
        40,
    );
    let job = create_job(&pool, &drop_job("drop", Some("*/2 * * * * *"), false)).await.unwrap();
    user(&pool, "staff@distro.test", Role::Staff, Link::None).await;

    let started = Instant::now();
    let [port_a, port_b] = free_ports();
    let (a, b) = (format!("http://127.0.0.1:{port_a}"), format!("http://127.0.0.1:{port_b}"));
    let mut servers = Servers(vec![
        serve_at(&url, data_dir.path(), &format!("127.0.0.1:{port_a}")),
        serve_at(&url, data_dir.path(), &format!("127.0.0.1:{port_b}")),
    ]);
    wait_until_up(&mut servers.0[0], &a).await;
    wait_until_up(&mut servers.0[1], &b).await;

    // Nobody is logged in anywhere yet: what follows is the cookie's doing.
    assert_eq!(
        Browser::at(&b).call("ingestion_overview", &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let on_a = Browser::at(&a);
    on_a.login_ok("staff@distro.test", PASSWORD).await;
    assert!(on_a.cookie().is_some(), "the login set a session cookie");
    let on_b = Browser::at(&b).with_cookie(on_a.cookie());
    assert_eq!(on_b.whoami().await.as_deref(), Some("staff@distro.test"));
    assert_eq!(on_b.call("ingestion_overview", &[]).await.status(), StatusCode::OK);
    let page = on_b.get("/ingestion").await;
    assert_eq!(page.status(), StatusCode::OK, "a staff page renders on B for A's login");
    assert!(page.text().await.unwrap().contains("Spotify drop folder"));

    // An upload B receives lands in the shared folder; whichever server claims the
    // upload job's run loads it, once.
    let apple = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/apple/apple_2026-10.txt"),
    )
    .unwrap();
    let upload = on_b.upload("apple october.txt", apple).await;
    assert_eq!(upload.status(), StatusCode::SEE_OTHER);
    let location = upload.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/ingestion?uploaded="), "{location}");
    let uploaded = "SELECT count(*) = 1 FROM report_files WHERE source = 'upload' AND status = 'loaded' \
                    AND allocated_at IS NOT NULL";
    assert!(eventually(&pool, uploaded, 20).await, "the upload was loaded and allocated");

    // Logging out on B ends the session on A too: one session row, deleted.
    assert_eq!(on_b.call("logout", &[]).await.status(), StatusCode::OK);
    assert_eq!(on_b.cookie(), None, "B expired the cookie");
    assert_eq!(on_a.whoami().await, None, "A no longer knows the session");
    let (status, _) = error_of(on_a.call("ingestion_overview", &[]).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let home = on_a.get("/").await;
    assert_eq!(home.status(), StatusCode::FOUND);
    assert_eq!(home.headers()["location"], "/login");

    // Let the schedule (a slot every two seconds) run a dozen seconds in all.
    let window = Duration::from_secs(12);
    tokio::time::sleep(window.saturating_sub(started.elapsed())).await;
    drop(servers);

    let runs: Vec<RunSeen> = sqlx::query_as(
        "SELECT scheduled_for, status, worker, started_at, finished_at FROM ingestion_runs \
         WHERE job_id = $1 ORDER BY scheduled_for",
    )
    .bind(job)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_each_slot_run_once(&runs, "twelve");
    let workers: std::collections::BTreeSet<_> =
        runs.iter().filter_map(|r| r.worker.clone()).collect();
    println!("scheduled runs were taken by {workers:?}");

    let (files, loaded, facts): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE status = 'loaded'), \
                (SELECT count(*) FROM stream_facts f JOIN report_files r ON r.id = f.report_file_id \
                 WHERE r.source = 'drop_folder') \
         FROM report_files WHERE source = 'drop_folder'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((files, loaded, facts), (3, 3, lines as i64), "every dropped file loaded once");
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM report_files WHERE status = 'loaded' AND allocated_at IS NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(waiting, 0, "every loaded file was allocated");
}

async fn app_with_scheduler() -> TestApp {
    TestApp::spawn_configured(|settings| settings.scheduler.enabled = true).await
}

#[tokio::test]
async fn a_failing_run_is_retried_with_growing_waits_up_to_the_limit() {
    let app = app_with_scheduler().await;
    // No such folder: every attempt fails.
    create_job(&app.pool, &drop_job("nowhere", Some("0 6 * * *"), true)).await.unwrap();
    let three_failed = "SELECT count(*) = 3 FROM ingestion_runs WHERE status = 'failed'";
    assert!(eventually(&app.pool, three_failed, 20).await, "three attempts fail");
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let runs: Vec<(i32, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT attempt, status, error, not_before FROM ingestion_runs ORDER BY attempt",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(runs.len(), 3, "the limit is three attempts: {runs:?}");
    assert_eq!(runs.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(
        runs.iter()
            .all(|r| r.1 == "failed" && r.2.contains("nowhere") && r.2.contains("does not exist"))
    );
    let waits: Vec<i64> = runs.windows(2).map(|w| (w[1].3 - w[0].3).num_milliseconds()).collect();
    assert!(waits[0] >= 1000 && waits[1] >= 2000, "backoff doubles from one second: {waits:?}");
}

#[tokio::test]
async fn a_run_whose_server_died_is_failed_and_retried_elsewhere() {
    let app = app_with_scheduler().await;
    std::fs::create_dir_all(app.data_dir.join("drop")).unwrap();
    let lines = write_reports(&app.data_dir.join("drop"), Platform::Deezer, &["2026-05"], 30);
    let job = create_job(&app.pool, &drop_job("drop", None, false)).await.unwrap();
    // What a process killed mid-run leaves: its run running, its leases run out.
    sqlx::query(
        "WITH j AS (UPDATE ingestion_jobs SET lease_owner = 'dead:1', lease_expires_at = now() - interval '1 second' WHERE id = $1) \
         INSERT INTO ingestion_runs (job_id, trigger, scheduled_for, status, worker, started_at, lease_expires_at) \
         VALUES ($1, 'manual', now(), 'running', 'dead:1', now(), now() - interval '1 second')",
    )
    .bind(job)
    .execute(&app.pool)
    .await
    .unwrap();
    let retried =
        "SELECT count(*) = 1 FROM ingestion_runs WHERE attempt = 2 AND status = 'succeeded'";
    assert!(eventually(&app.pool, retried, 15).await, "the retry ran");
    let (status, error): (String, String) =
        sqlx::query_as("SELECT status, error FROM ingestion_runs WHERE attempt = 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(status, "failed");
    assert!(error.contains("dead:1"), "{error}");
    let facts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM stream_facts").fetch_one(&app.pool).await.unwrap();
    assert_eq!(facts, lines as i64);
}

async fn staff(app: &TestApp) -> crate::helpers::Browser {
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let browser = app.browser();
    browser.login_ok("staff@distro.test", PASSWORD).await;
    browser
}

#[tokio::test]
async fn staff_pause_a_job_yet_can_run_it_now_and_backfill_a_month() {
    let app = app_with_scheduler().await;
    let staff = staff(&app).await;
    let drop = app.data_dir.join("drop");
    write_reports(&drop, Platform::Tidal, &["2026-01", "2026-02"], 20);
    let job = create_job(&app.pool, &drop_job("drop", Some("* * * * * *"), false)).await.unwrap();
    let id = job.to_string();

    let paused = staff.call("set_job_paused", &[("job_id", &id), ("paused", "true")]).await;
    assert_eq!(paused.status(), StatusCode::OK);
    // Let a possible slot planned before the pause run out, then count.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM ingestion_runs")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM ingestion_runs")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(before, after, "a paused job plans no runs");

    let backfill = staff.call("backfill_job", &[("job_id", &id), ("month", "2026-02")]).await;
    assert_eq!(backfill.status(), StatusCode::OK);
    let done = "SELECT count(*) = 1 FROM ingestion_runs WHERE trigger = 'backfill' AND status = 'succeeded'";
    assert!(eventually(&app.pool, done, 15).await);
    let months: Vec<String> = sqlx::query_scalar(
        "SELECT to_char(accounting_month, 'YYYY-MM') FROM report_files WHERE status = 'loaded'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(months, ["2026-02"], "a backfill loads its month only");

    let run = staff.call("run_job_now", &[("job_id", &id)]).await;
    assert_eq!(run.status(), StatusCode::OK);
    let done =
        "SELECT count(*) = 1 FROM ingestion_runs WHERE trigger = 'manual' AND status = 'succeeded'";
    assert!(eventually(&app.pool, done, 15).await);
    let (loaded, skipped): (i32, i32) = sqlx::query_as(
        "SELECT files_loaded, files_skipped FROM ingestion_runs WHERE trigger = 'manual'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((loaded, skipped), (1, 1), "run now loads what is new, skips what was loaded");

    let future = staff.call("backfill_job", &[("job_id", &id), ("month", "2099-01")]).await;
    assert_eq!(future.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_quarantined_file_is_retried_when_staff_ask_and_not_before() {
    let app = app_with_scheduler().await;
    let staff = staff(&app).await;
    let drop = app.data_dir.join("drop");
    std::fs::create_dir_all(&drop).unwrap();
    std::fs::write(drop.join("broken.tsv"), b"HEAD\tnot a report\n").unwrap();
    create_job(&app.pool, &drop_job("drop", Some("* * * * * *"), true)).await.unwrap();
    let quarantined = "SELECT count(*) = 1 FROM report_files WHERE status = 'quarantined'";
    assert!(eventually(&app.pool, quarantined, 10).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let files: i64 =
        sqlx::query_scalar("SELECT count(*) FROM report_files").fetch_one(&app.pool).await.unwrap();
    assert_eq!(files, 1, "later runs leave a quarantined file alone");

    let file_id: i64 =
        sqlx::query_scalar("SELECT id FROM report_files").fetch_one(&app.pool).await.unwrap();
    let detail = staff.call("report_file", &[("file_id", &file_id.to_string())]).await;
    let detail: serde_json::Value = detail.json().await.unwrap();
    assert_eq!(detail["can_retry"], true);
    assert!(!detail["errors"].as_array().unwrap().is_empty());
    let retry = staff.call("retry_report_file", &[("file_id", &file_id.to_string())]).await;
    assert_eq!(retry.status(), StatusCode::OK);
    let twice = "SELECT count(*) = 2 FROM report_files WHERE status = 'quarantined'";
    assert!(eventually(&app.pool, twice, 10).await, "the retry tried it again");
}

#[tokio::test]
async fn uploads_stream_to_the_upload_job_and_only_staff_may_upload() {
    let app = app_with_scheduler().await;
    let staff = staff(&app).await;
    let sample = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/dsr/spotify_2026-03.tsv"),
    )
    .unwrap();
    let response = staff.upload("spotify march.tsv", sample.clone()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/ingestion?uploaded="), "{location}");
    let loaded =
        "SELECT count(*) = 1 FROM report_files WHERE status = 'loaded' AND source = 'upload'";
    assert!(eventually(&app.pool, loaded, 10).await, "the upload job loaded it");

    let too_big = staff.upload("huge.tsv", vec![b'x'; 2 * 1024 * 1024]).await;
    let location = too_big.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("upload_error=") && location.contains("limit"), "{location}");
    let leftovers = std::fs::read_dir(app.data_dir.join("uploads")).unwrap().count();
    assert_eq!(leftovers, 1, "a refused upload leaves nothing behind");

    user(&app.pool, "artist@a.test", Role::Artist, Link::Artist(artist(&app.pool).await)).await;
    let artist = app.browser();
    artist.login_ok("artist@a.test", PASSWORD).await;
    assert_eq!(artist.upload("x.tsv", sample.clone()).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.browser().upload("x.tsv", sample).await.status(), StatusCode::UNAUTHORIZED);
}

async fn artist(pool: &PgPool) -> i64 {
    sqlx::query_scalar("INSERT INTO artists (name) VALUES ('Someone') RETURNING id")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_ingest_killed_mid_copy_leaves_nothing_and_a_retry_loads_it_all() {
    let (url, pool) = fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let lines = write_reports(dir.path(), Platform::Tidal, &["2026-04"], 150_000);
    let ingest = || {
        Command::new(env!("CARGO_BIN_EXE_backbeat"))
            .arg("ingest")
            .arg(dir.path())
            .env("DATABASE_URL", &url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("backbeat ingest starts")
    };
    let mut child = ingest();
    let copying = "SELECT count(*) > 0 FROM pg_stat_activity \
                   WHERE datname = current_database() AND state = 'active' AND query LIKE 'COPY stream_facts%'";
    let seen = eventually(&pool, copying, 60).await;
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    assert!(seen, "the COPY was under way when the process was killed");
    let gone = "SELECT count(*) = 0 FROM pg_stat_activity \
                WHERE datname = current_database() AND query LIKE 'COPY stream_facts%'";
    assert!(eventually(&pool, gone, 10).await, "Postgres ended the dead connection");
    let (files, facts): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM report_files), (SELECT count(*) FROM stream_facts)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((files, facts), (0, 0), "nothing of the killed load remains");

    assert!(ingest().wait().unwrap().success(), "the retry loads");
    let (files, facts): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM report_files WHERE status = 'loaded'), (SELECT count(*) FROM stream_facts)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((files, facts), (1, lines as i64));
}
