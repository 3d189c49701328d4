//! Loading report files: exactly once, all or nothing, refused files quarantined.

use crate::helpers::TestApp;
use app::auth::SessionUser;
use app::domain::Role;
use app::payouts::ssr as payouts;
use app::users::Link;
use rust_decimal::Decimal;
use server::ingest::loader::{Origin, Outcome, allocate_waiting, load_file, load_only};
use server::ingest::scheduler::Scheduler;
use sqlx::PgPool;
use std::io::Write;
use std::path::{Path, PathBuf};

const SAMPLE: &str = "tests/data/dsr/spotify_2026-03.tsv";

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(SAMPLE)
}

fn write_temp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

async fn fact_totals(pool: &PgPool) -> Vec<(String, i64, Decimal)> {
    sqlx::query_as(
        "SELECT currency::text, count(*), sum(gross) FROM stream_facts GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn load(pool: &PgPool, path: &Path) -> Outcome {
    load_file(pool, path, &Origin::COMMAND_LINE).await.unwrap()
}

#[tokio::test]
async fn the_dsr_sample_loads_to_its_known_totals_with_lineage() {
    let app = TestApp::spawn().await;
    let Outcome::Loaded { file_id, facts, matched, warnings, .. } =
        load(&app.pool, &sample()).await
    else {
        panic!("the sample should load");
    };
    assert_eq!((facts, matched), (5, 0), "an empty catalog matches nothing; nothing is dropped");
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        fact_totals(&app.pool).await,
        [("GBP".into(), 3, Decimal::new(100, 2)), ("USD".into(), 2, Decimal::new(1200, 2))]
    );
    let stated: Vec<(String, Decimal)> = sqlx::query_as(
        "SELECT currency::text, gross FROM report_file_totals WHERE report_file_id = $1 ORDER BY 1",
    )
    .bind(file_id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        stated,
        [("GBP".into(), Decimal::new(100, 2)), ("USD".into(), Decimal::new(1200, 2))]
    );
    let lines: Vec<i64> = sqlx::query_scalar(
        "SELECT line_number FROM stream_facts WHERE report_file_id = $1 ORDER BY 1",
    )
    .bind(file_id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(lines, [8, 9, 10, 12, 14]);
    let (status, month): (String, chrono::NaiveDate) =
        sqlx::query_as("SELECT status, accounting_month FROM report_files WHERE id = $1")
            .bind(file_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), month.to_string().as_str()), ("loaded", "2026-03-01"));
}

#[tokio::test]
async fn lines_are_matched_by_isrc_and_by_platform_id() {
    let app = TestApp::spawn().await;
    let catalog = crate::helpers::Catalog::create(&app.pool).await;
    sqlx::query("UPDATE tracks SET isrc = 'USNLR1900001' WHERE id = $1")
        .bind(catalog.track_a)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO track_platform_ids VALUES ('spotify', '1OmcAT5Y8eg5bUPv9qJT4R', $1)")
        .bind(catalog.track_b)
        .execute(&app.pool)
        .await
        .unwrap();
    let Outcome::Loaded { matched, .. } = load(&app.pool, &sample()).await else { panic!() };
    assert_eq!(matched, 3, "two lines by ISRC, one by Spotify's id");
    let unmatched: i64 =
        sqlx::query_scalar("SELECT count(*) FROM stream_facts WHERE track_id IS NULL")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(unmatched, 2, "unmatched lines are kept for suspense");
}

#[tokio::test]
async fn the_same_file_twice_is_loaded_once() {
    let app = TestApp::spawn().await;
    let Outcome::Loaded { file_id, .. } = load(&app.pool, &sample()).await else { panic!() };
    // Same bytes under another name.
    let dir = tempfile::tempdir().unwrap();
    let copy = write_temp(&dir, "renamed.tsv", &std::fs::read(sample()).unwrap());
    match load(&app.pool, &copy).await {
        Outcome::AlreadyLoaded { file_id: again } => assert_eq!(again, file_id),
        other => panic!("expected already loaded, got {other:?}"),
    }
    assert_eq!(fact_totals(&app.pool).await.iter().map(|t| t.1).sum::<i64>(), 5);
}

#[tokio::test]
async fn a_refused_file_is_quarantined_with_its_errors_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(sample()).unwrap();
    let bad = write_temp(&dir, "bad.tsv", text.replace("FOOT\t14\t14", "FOOT\t99\t99").as_bytes());
    for attempt in 0..2 {
        let Outcome::Quarantined { file_id, errors, first } = load(&app.pool, &bad).await else {
            panic!("attempt {attempt}: should be quarantined again, not blocked by its checksum");
        };
        assert_eq!(errors, 1);
        let first = first.unwrap();
        assert_eq!(
            (first.line, first.column.as_str(), first.value.as_str()),
            (15, "NumberOfLinesInFile", "99")
        );
        let stored: (i64, String, String) = sqlx::query_as(
            "SELECT line, column_name, value FROM report_file_errors WHERE report_file_id = $1",
        )
        .bind(file_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(stored, (15, "NumberOfLinesInFile".into(), "99".into()));
    }
    assert!(fact_totals(&app.pool).await.is_empty(), "not one row of a refused file");
    // Fixed, it loads.
    assert!(matches!(load(&app.pool, &sample()).await, Outcome::Loaded { .. }));
}

#[tokio::test]
async fn files_that_are_not_reports_are_quarantined_with_a_reason() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let cases = [
        ("empty.tsv", Vec::new(), "not a report format"),
        ("garbage.bin", garbage, "not a report format"),
        ("empty.zip", empty_zip(), "no report file"),
    ];
    for (name, bytes, reason) in cases {
        let path = write_temp(&dir, name, &bytes);
        match load(&app.pool, &path).await {
            Outcome::Quarantined { first, .. } => {
                let first = first.unwrap();
                assert!(first.reason.contains(reason), "{name}: {first}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!(fact_totals(&app.pool).await.is_empty());
}

#[tokio::test]
async fn gzip_and_zip_deliveries_load_like_the_plain_file() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read(sample()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&text).unwrap();
    let gz_path = write_temp(&dir, "report.tsv.gz", &gz.finish().unwrap());
    assert!(matches!(load(&app.pool, &gz_path).await, Outcome::Loaded { facts: 5, .. }));

    // A different delivery of the same month: the zip holds the file with one change,
    // so its checksum differs, and it waits to replace the first (read whole all the same).
    let changed = String::from_utf8(text).unwrap().replace("SPOT-2026-03-001", "SPOT-2026-03-002");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("__MACOSX/._report.tsv", zip::write::SimpleFileOptions::default()).unwrap();
    zip.start_file("report.tsv", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(changed.as_bytes()).unwrap();
    let zip_path = write_temp(&dir, "report.zip", &zip.finish().unwrap().into_inner());
    let Outcome::AwaitingConfirmation { file_id, .. } = load(&app.pool, &zip_path).await else {
        panic!("the zip delivery replaces the first, once confirmed");
    };
    let facts: i64 = sqlx::query_scalar("SELECT fact_count FROM report_files WHERE id = $1")
        .bind(file_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(facts, 5);
}

fn empty_zip() -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.add_directory("reports/", zip::write::SimpleFileOptions::default()).unwrap();
    zip.finish().unwrap().into_inner()
}

#[tokio::test]
async fn the_apple_sample_loads_into_its_fiscal_month() {
    let app = TestApp::spawn().await;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/apple/apple_2026-10.txt");
    let Outcome::Loaded { file_id, facts, .. } = load(&app.pool, &path).await else {
        panic!("the Apple sample should load");
    };
    assert_eq!(facts, 4);
    assert_eq!(fact_totals(&app.pool).await, [("USD".into(), 4, Decimal::new(1420, 2))]);
    let (format, platform, month): (String, String, chrono::NaiveDate) =
        sqlx::query_as("SELECT format, platform, accounting_month FROM report_files WHERE id = $1")
            .bind(file_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((format.as_str(), platform.as_str()), ("apple", "apple_music"));
    assert_eq!(month.to_string(), "2026-10-01");
}

#[tokio::test]
async fn the_youtube_sample_loads_with_its_corrections() {
    let app = TestApp::spawn().await;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/youtube/youtube_2026-03.csv");
    let Outcome::Loaded { facts, .. } = load(&app.pool, &path).await else {
        panic!("the YouTube sample should load");
    };
    assert_eq!(facts, 4);
    assert_eq!(
        fact_totals(&app.pool).await,
        [("USD".into(), 4, "2.5623456789".parse::<Decimal>().unwrap())]
    );
    let negative: i64 = sqlx::query_scalar("SELECT count(*) FROM stream_facts WHERE gross < 0")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(negative, 1, "a revenue correction is a fact of its own");
}

/// Net gross of all facts (reversals included) per currency.
async fn net_gross(pool: &PgPool) -> Vec<(String, Decimal)> {
    sqlx::query_as(
        "SELECT currency::text, sum(gross) FROM stream_facts GROUP BY 1 HAVING sum(gross) <> 0 ORDER BY 1",
    )
        .fetch_all(pool)
        .await
        .unwrap()
}

/// What the allocation ledger holds, per reported currency, in all states.
async fn ledger_gross(pool: &PgPool) -> Vec<(String, Decimal)> {
    sqlx::query_as(
        "SELECT currency::text, sum(gross) FROM allocations GROUP BY 1 HAVING sum(gross) <> 0 ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// What a file states it holds, per currency.
async fn stated(pool: &PgPool, file_id: i64) -> Vec<(String, Decimal)> {
    sqlx::query_as(
        "SELECT currency::text, gross FROM report_file_totals WHERE report_file_id = $1 ORDER BY 1",
    )
    .bind(file_id)
    .fetch_all(pool)
    .await
    .unwrap()
}

fn generated(dir: &Path, seed: u64, rows: usize) -> PathBuf {
    use server::generate::{Report, Spec, command::write_file, unknown_tracks};
    let spec = Spec {
        platform: app::domain::Platform::Deezer,
        month: "2026-03".parse().unwrap(),
        rows,
        seed,
    };
    let tracks = unknown_tracks();
    let folder = dir.join(format!("seed{seed}"));
    write_file(&Report::plan(spec, &tracks), &folder, || {}).unwrap()
}

#[tokio::test]
async fn a_file_for_a_loaded_month_waits_for_staff_then_replaces_it_whole() {
    use server::ingest::loader::confirm_supersede;
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let first = generated(dir.path(), 1, 50);
    let second = generated(dir.path(), 2, 60);

    let Outcome::Loaded { file_id: old, .. } = load(&app.pool, &first).await else {
        panic!("the first report loads");
    };
    let Outcome::AwaitingConfirmation { file_id: new, supersedes } = load(&app.pool, &second).await
    else {
        panic!("a second report for the month waits");
    };
    assert_eq!(supersedes, old);
    assert_eq!(net_gross(&app.pool).await, stated(&app.pool, old).await, "nothing changed yet");
    assert!(matches!(load(&app.pool, &second).await, Outcome::AlreadyLoaded { .. }));

    let moved = second.with_extension("moved");
    std::fs::rename(&second, &moved).unwrap();
    let error = confirm_supersede(&app.pool, new, None).await.unwrap_err();
    assert!(format!("{error:#}").contains("no longer at"), "{error:#}");
    std::fs::rename(&moved, &second).unwrap();

    let Outcome::Loaded { facts, .. } = confirm_supersede(&app.pool, new, None).await.unwrap()
    else {
        panic!("confirming loads it");
    };
    assert_eq!(facts, 60);
    assert_eq!(
        net_gross(&app.pool).await,
        stated(&app.pool, new).await,
        "only the new file counts"
    );
    let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM report_files ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(statuses, ["superseded", "loaded"]);
    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM stream_facts").fetch_one(&app.pool).await.unwrap();
    assert_eq!(rows, 50 + 50 + 60, "the old lines stay, each with its reversal");
    crate::revenue::assert_balanced(&app.pool).await;
    assert_eq!(ledger_gross(&app.pool).await, stated(&app.pool, new).await, "allocated anew");
    assert!(confirm_supersede(&app.pool, new, None).await.is_err(), "decided once");
}

#[tokio::test]
async fn a_withdrawn_file_leaves_only_the_others() {
    use app::{domain::Role, users::Link};
    let app = TestApp::spawn().await;
    let staff = crate::helpers::user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let dir = tempfile::tempdir().unwrap();
    let Outcome::Loaded { file_id: kept, .. } = load(&app.pool, &sample()).await else {
        panic!("the sample loads");
    };
    let Outcome::Loaded { file_id: withdrawn, .. } =
        load(&app.pool, &generated(dir.path(), 1, 40)).await
    else {
        panic!("the generated report loads");
    };
    app::ingestion::ssr::withdraw(&app.pool, withdrawn, staff).await.unwrap();
    assert_eq!(net_gross(&app.pool).await, stated(&app.pool, kept).await);
    crate::revenue::assert_balanced(&app.pool).await;
    assert_eq!(ledger_gross(&app.pool).await, stated(&app.pool, kept).await);
    let again = app::ingestion::ssr::withdraw(&app.pool, withdrawn, staff).await;
    assert!(again.is_err(), "a withdrawn file cannot be withdrawn twice");
    assert_eq!(net_gross(&app.pool).await, stated(&app.pool, kept).await);
}

fn data(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(path))
        .unwrap()
}

#[tokio::test]
async fn each_kind_of_bad_line_is_named_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let dsr = data("dsr/spotify_2026-03.tsv");
    let apple = data("apple/apple_2026-10.txt");
    let youtube = data("youtube/youtube_2026-03.csv");
    let without_foot: String =
        dsr.lines().filter(|l| !l.starts_with("FOOT")).map(|l| format!("{l}\n")).collect();
    // (file, contents, line, column, value, a word of the reason)
    let cases = [
        ("truncated.tsv", without_foot, 14, "RecordType", "", "FOOT"),
        (
            "short_row.txt",
            apple.replacen("\t10\t0.70\t7.00\tUSD", "\t10\t0.70\tUSD", 1),
            2,
            "-",
            "",
            "columns",
        ),
        (
            "bad_isrc.tsv",
            dsr.replace("USNLR1900001", "USNLR19O0001"),
            6,
            "ISRC",
            "USNLR19O0001",
            "ISRC",
        ),
        (
            "bad_amount.csv",
            youtube.replace(",0.9000000", ",0.9O"),
            3,
            "partner_revenue",
            "0.9O",
            "decimal",
        ),
        (
            "unknown_currency.tsv",
            dsr.replace("\tUSD\t12.00", "\tUSX\t12.00"),
            3,
            "CurrencyOfReporting",
            "USX",
            "currency",
        ),
        (
            "footer.tsv",
            dsr.replace("FOOT\t14\t14", "FOOT\t13\t13"),
            15,
            "NumberOfLinesInFile",
            "13",
            "lines",
        ),
        (
            "wrong_period.csv",
            youtube.replace(",20260302,", ",20260402,"),
            3,
            "day",
            "20260402",
            "month",
        ),
    ];
    for (name, text, line, column, value, word) in cases {
        let path = write_temp(&dir, name, text.as_bytes());
        let Outcome::Quarantined { file_id, first, .. } = load(&app.pool, &path).await else {
            panic!("{name} should be quarantined");
        };
        let first = first.unwrap();
        assert_eq!((first.line, first.column.as_str()), (line, column), "{name}: {first}");
        if !value.is_empty() {
            assert_eq!(first.value, value, "{name}: {first}");
        }
        assert!(first.reason.to_lowercase().contains(&word.to_lowercase()), "{name}: {first}");
        let stored: i64 =
            sqlx::query_scalar("SELECT count(*) FROM report_file_errors WHERE report_file_id = $1")
                .bind(file_id)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        assert!(stored >= 1, "{name}: its errors are kept");
    }
    assert!(fact_totals(&app.pool).await.is_empty(), "not one row of any refused file");
}

async fn allocation_rows(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM allocations").fetch_one(pool).await.unwrap()
}

async fn waiting(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM report_files WHERE status = 'loaded' AND allocated_at IS NULL",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_deferred_load_waits_for_the_allocation_stage_and_payouts_wait_with_it() {
    let app = TestApp::spawn().await;
    let label: i64 =
        sqlx::query_scalar("INSERT INTO labels (name) VALUES ('Waiting') RETURNING id")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let Outcome::Loaded { facts, .. } =
        load_only(&app.pool, &sample(), &Origin::COMMAND_LINE).await.unwrap()
    else {
        panic!("the sample should load");
    };
    assert_eq!(facts, 5);
    assert_eq!(waiting(&app.pool).await, 1, "loaded, not yet allocated");
    assert_eq!(allocation_rows(&app.pool).await, 0, "no money in the ledger yet");

    let staff = SessionUser {
        id: crate::helpers::user(&app.pool, "boss@distro.test", Role::Staff, Link::None).await,
        email: "boss@distro.test".into(),
        role: Role::Staff,
        artist_id: None,
        label_id: None,
        scope_name: "All labels".into(),
        must_change_password: false,
    };
    let refused = payouts::create(&app.pool, &staff, label, "2026-03".parse().unwrap()).await;
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("not yet allocated"), "{message}");

    let allocated = allocate_waiting(&app.pool).await.unwrap();
    assert_eq!(allocated.files, 1);
    assert!(allocated.rows > 0);
    assert_eq!(waiting(&app.pool).await, 0);
    crate::revenue::assert_balanced(&app.pool).await;
    assert_eq!(allocate_waiting(&app.pool).await.unwrap().files, 0, "nothing twice");
    payouts::create(&app.pool, &staff, label, "2026-03".parse().unwrap())
        .await
        .expect("the run starts once the period is allocated");
}

#[tokio::test]
async fn the_scheduler_allocates_what_a_stopped_loader_left_waiting() {
    let app = TestApp::spawn().await;
    load_only(&app.pool, &sample(), &Origin::COMMAND_LINE).await.unwrap();
    assert_eq!(waiting(&app.pool).await, 1);
    let settings = server::config::SchedulerSettings {
        enabled: true,
        tick: std::time::Duration::from_millis(200),
        lease: std::time::Duration::from_secs(3),
        retry_base: std::time::Duration::from_secs(1),
        max_attempts: 3,
    };
    Scheduler::new(app.pool.clone(), settings, app.data_dir.clone()).tick().await.unwrap();
    assert_eq!(waiting(&app.pool).await, 0, "one tick allocates it");
    assert!(allocation_rows(&app.pool).await > 0);
    crate::revenue::assert_balanced(&app.pool).await;
}

/// Two loaders making the same new month's partition at once (two replicas, or a
/// replica and `backbeat ingest`): the second waits for the first and finds it made.
#[tokio::test]
async fn two_loaders_making_one_months_partition_at_once_both_succeed() {
    let app = TestApp::spawn().await;
    let month: app::domain::Month = "2031-07".parse().unwrap();
    let mut first = app.pool.begin().await.unwrap();
    server::ingest::loader::ensure_partition(&mut first, month).await.unwrap();
    let pool = app.pool.clone();
    let second = tokio::spawn(async move {
        let mut tx = pool.begin().await.unwrap();
        let made = server::ingest::loader::ensure_partition(&mut tx, month).await;
        tx.commit().await.unwrap();
        made
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "the second waits while the first's partition is uncommitted");
    first.commit().await.unwrap();
    second.await.unwrap().expect("the second finds the partition made");
    let partitions: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_inherits WHERE inhparent = 'stream_facts'::regclass \
         AND inhrelid::regclass::text = 'stream_facts_y2031m07'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(partitions, 1);
}
