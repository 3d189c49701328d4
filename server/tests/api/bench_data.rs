//! The benchmarks' data: `backbeat generate-catalog` makes a consistent catalog that
//! generated reports load into and allocate against, with every sum balanced.

use crate::helpers::TestApp;
use server::generate::{
    Report, Spec,
    catalog::{self, Args},
    command::{catalog as catalog_tracks, write_file},
};
use server::ingest::loader::{Origin, Outcome, load_file};

#[tokio::test]
async fn a_generated_catalog_takes_generated_reports_and_balances() {
    let app = TestApp::spawn().await;
    let args = Args {
        tracks: 2_500,
        artist_logins: 20,
        month: args_month(),
        through: "2026-03".parse().unwrap(),
    };
    catalog::run(&app.pool, args).await.unwrap();
    let (tracks, labels, contracts, logins): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM tracks), (SELECT count(*) FROM labels),
                (SELECT count(*) FROM contracts), (SELECT count(*) FROM users)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(tracks, 2_500);
    assert_eq!(labels, 3, "at least three labels, about ten thousand tracks each");
    assert!(contracts > 300, "a contract per release: {contracts}");
    assert_eq!(logins, 1 + 3 + 20, "staff, a manager per label, the first artists");

    let again = catalog::run(
        &app.pool,
        Args { tracks: 10, artist_logins: 0, month: args_month(), through: args_month() },
    )
    .await;
    assert!(again.unwrap_err().to_string().contains("already has a catalog"));

    let dir = tempfile::tempdir().unwrap();
    let known = catalog_tracks(&app.pool).await.unwrap();
    let spec = Spec {
        platform: app::domain::Platform::Spotify,
        month: args_month(),
        rows: 3_000,
        seed: 1,
    };
    let path = write_file(&Report::plan(spec, &known), dir.path(), || {}).unwrap();
    let Outcome::Loaded { facts, matched, .. } =
        load_file(&app.pool, &path, &Origin::COMMAND_LINE).await.unwrap()
    else {
        panic!("a generated report loads");
    };
    assert_eq!(facts, 3_000);
    assert!(matched as f64 > 0.95 * facts as f64, "nearly every line is the catalog's");
    crate::revenue::assert_balanced(&app.pool).await;
    let allocated: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM allocations WHERE state = 'allocated' AND beneficiary = 'payee'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(allocated > 0, "contracts split the revenue between payees");
}

fn args_month() -> app::domain::Month {
    "2026-01".parse().unwrap()
}
