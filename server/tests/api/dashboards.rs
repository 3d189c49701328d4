//! Dashboards: their numbers for a crafted dataset, worked out by hand; their scope; and
//! proof that they read the summaries only.

use crate::conflicts::{fact, load};
use crate::revenue::{deal, dec, month};
use app::dashboards::ssr;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// A label whose release artist is the first payee (60% after a 10% fee), with lines in
/// February (US 2.00) and March (US 3.00, GB 1.00), 1,000 streams each.
async fn artist_with_earnings(pool: &PgPool) -> i64 {
    artist_and_label(pool).await.0
}

/// [`artist_with_earnings`], with the label.
async fn artist_and_label(pool: &PgPool) -> (i64, i64) {
    let d = deal(pool, "USD", "0.1", &["0.6", "0.4"], "2026-01").await;
    let artist: i64 = sqlx::query_scalar("SELECT artist_id FROM releases WHERE id = $1")
        .bind(d.release)
        .fetch_one(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE payees SET artist_id = $1 WHERE id = $2")
        .bind(artist)
        .bind(d.payees[0])
        .execute(pool)
        .await
        .unwrap();
    load(pool, month("2026-02"), &[fact(pool, &d, "US", "2.00").await]).await;
    let march = [fact(pool, &d, "US", "3.00").await, fact(pool, &d, "GB", "1.00").await];
    load(pool, month("2026-03"), &march).await;
    (artist, d.label)
}

#[tokio::test]
async fn an_artists_overview_adds_up_by_hand() {
    let (_, pool) = crate::helpers::fresh_database().await;
    let artist = artist_with_earnings(&pool).await;
    // Someone else's earnings on the same platform must not show.
    artist_with_earnings(&pool).await;
    let d = ssr::artist(&pool, artist).await.unwrap();
    assert_eq!(d.currency, "USD");
    // 0.6 x 0.9 = 0.54 of every dollar.
    assert_eq!(dec(&d.all_time.amount), dec("3.24"));
    assert_eq!(d.all_time.units, 3000);
    let months: Vec<(&str, i64, rust_decimal::Decimal)> =
        d.months.iter().map(|l| (l.label.as_str(), l.units, dec(&l.amount))).collect();
    assert_eq!(months, [("2026-02", 1000, dec("1.08")), ("2026-03", 2000, dec("2.16"))]);
    assert_eq!(d.by_platform.len(), 1);
    assert_eq!(d.by_platform[0].label, "Spotify");
    assert_eq!(d.by_platform[0].per_stream.as_deref(), Some("0.00108"));
    let territories: Vec<&str> = d.by_territory.iter().map(|l| l.label.as_str()).collect();
    assert_eq!(territories, ["US", "GB"], "largest first");
    assert_eq!(dec(&d.held), dec("0"));
    assert_eq!(d.freshness.len(), 1);
    assert_eq!(
        (d.freshness[0].platform.as_str(), d.freshness[0].through.as_str()),
        ("Spotify", "2026-03")
    );
    assert!(d.months_chart.starts_with("<svg") && d.months_chart.contains("<text"));
    assert!(d.months_chart.contains("Earnings (USD)"), "the axis says its unit");
    assert!(d.platforms_chart.contains("Spotify"));
}

#[tokio::test]
async fn dashboards_read_no_facts_and_no_ledger() {
    let (url, pool) = crate::helpers::fresh_database().await;
    let artist = artist_with_earnings(&pool).await;
    let role = format!("dashboards_{}", rand::random::<u32>());
    sqlx::query(&format!("CREATE ROLE {role} LOGIN")).execute(&pool).await.unwrap();
    sqlx::query(&format!("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
        .execute(&pool)
        .await
        .unwrap();
    let hidden: Vec<String> = sqlx::query_scalar(
        "SELECT relname::text FROM pg_class
         WHERE relkind IN ('r', 'p') AND (relname LIKE 'stream\\_facts%' OR relname = 'allocations')",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(hidden.len() >= 3, "the facts, their partitions and the ledger: {hidden:?}");
    for table in &hidden {
        sqlx::query(&format!("REVOKE SELECT ON {table} FROM {role}")).execute(&pool).await.unwrap();
    }
    let reader_url = url.replacen("postgres://postgres@", &format!("postgres://{role}@"), 1);
    let reader = PgPoolOptions::new().max_connections(1).connect(&reader_url).await.unwrap();
    let refused = sqlx::query("SELECT 1 FROM stream_facts LIMIT 1").execute(&reader).await;
    assert!(refused.is_err(), "the role really cannot read the facts");

    let d = ssr::artist(&reader, artist).await.unwrap();
    assert_eq!(dec(&d.all_time.amount), dec("3.24"));
    let label: i64 =
        sqlx::query_scalar("SELECT max(id) FROM labels").fetch_one(&pool).await.unwrap();
    assert_eq!(dec(&ssr::label(&reader, label).await.unwrap().all_time.amount), dec("6.00"));
    assert_eq!(ssr::staff(&reader).await.unwrap().labels.len(), 1);
    assert!(!ssr::freshness(&reader).await.unwrap().is_empty());
    reader.close().await;
    sqlx::query(&format!("DROP OWNED BY {role}")).execute(&pool).await.unwrap();
    pool.close().await;
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url.rsplit_once('/').map(|(base, _)| format!("{base}/postgres")).unwrap())
        .await
        .unwrap();
    // Other test databases may hold grants to no one of this name: dropping may wait.
    let _ = sqlx::query(&format!("DROP ROLE IF EXISTS {role}")).execute(&admin).await;
}

#[tokio::test]
async fn a_labels_overview_adds_up_by_hand_and_is_its_managers_only() {
    use crate::helpers::{PASSWORD, TestApp, user};
    use app::{domain::Role, users::Link};
    let app = TestApp::spawn().await;
    let (_, label) = artist_and_label(&app.pool).await;
    let (_, other) = artist_and_label(&app.pool).await;
    let d = ssr::label(&app.pool, label).await.unwrap();
    assert_eq!(dec(&d.all_time.amount), dec("6.00"), "2.00 + 3.00 + 1.00");
    assert_eq!(dec(&d.net), dec("5.40"), "after the 10% fee");
    assert_eq!(d.all_time.units, 3000);
    let months: Vec<(&str, rust_decimal::Decimal)> =
        d.months.iter().map(|l| (l.label.as_str(), dec(&l.amount))).collect();
    assert_eq!(months, [("2026-02", dec("2.00")), ("2026-03", dec("4.00"))]);
    assert_eq!(d.by_artist.len(), 1);
    assert_eq!(d.by_release.len(), 1);
    assert_eq!(d.awaiting_rate, 0);

    user(&app.pool, "lm@x.test", Role::LabelManager, Link::Label(label)).await;
    let manager = app.browser();
    manager.login_ok("lm@x.test", PASSWORD).await;
    let own = manager.call("label_dashboard", &[]).await;
    assert_eq!(own.status(), reqwest::StatusCode::OK);
    let body: serde_json::Value = own.json().await.unwrap();
    assert_eq!(body["all_time"]["amount"].as_str().map(dec), Some(dec("6.00")));
    let theirs = manager.call("label_dashboard", &[("label_id", &other.to_string())]).await;
    assert_eq!(theirs.status(), reqwest::StatusCode::NOT_FOUND, "another label is not there");
    user(&app.pool, "st@x.test", Role::Staff, Link::None).await;
    let staff = app.browser();
    staff.login_ok("st@x.test", PASSWORD).await;
    let any = staff.call("label_dashboard", &[("label_id", &other.to_string())]).await;
    assert_eq!(any.status(), reqwest::StatusCode::OK);
}

#[tokio::test]
async fn staff_see_every_label_suspense_and_conflicts() {
    use crate::conflicts::unmatched;
    let (_, pool) = crate::helpers::fresh_database().await;
    artist_and_label(&pool).await;
    artist_and_label(&pool).await;
    load(&pool, month("2026-03"), &[unmatched(Some("QZZZZ2600001"), None, "0.75")]).await;
    let d = ssr::staff(&pool).await.unwrap();
    assert_eq!(d.currency, "USD");
    let labels: Vec<rust_decimal::Decimal> = d.labels.iter().map(|l| dec(&l.gross)).collect();
    assert_eq!(labels, [dec("6.00"), dec("6.00")]);
    assert_eq!(dec(&d.suspense.gross), dec("0.75"));
    assert_eq!(d.open_conflicts, 1, "the unmatched ISRC");
    assert_eq!(d.recent_files.len(), 5);
}
