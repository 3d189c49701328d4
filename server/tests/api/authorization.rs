//! Each role sees and changes only what belongs to it.

use crate::helpers::{Browser, Catalog, PASSWORD, TestApp, error_of, user};
use app::{domain::Role, users::Link};
use reqwest::StatusCode;
use serde_json::Value;

struct Logins {
    artist: Browser,
    manager: Browser,
    staff: Browser,
    catalog: Catalog,
}

async fn logins(app: &TestApp) -> Logins {
    let catalog = Catalog::create(&app.pool).await;
    user(&app.pool, "artist@a.test", Role::Artist, Link::Artist(catalog.artist_a)).await;
    user(&app.pool, "manager@a.test", Role::LabelManager, Link::Label(catalog.label_a)).await;
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let artist = app.browser();
    artist.login_ok("artist@a.test", PASSWORD).await;
    let manager = app.browser();
    manager.login_ok("manager@a.test", PASSWORD).await;
    let staff = app.browser();
    staff.login_ok("staff@distro.test", PASSWORD).await;
    Logins { artist, manager, staff, catalog }
}

/// A server function, fields that would be valid, and the roles that may call it.
type GuardedCall = (&'static str, Vec<(&'static str, String)>, &'static [Role]);

/// Every server function that reads or changes data.
fn guarded_calls(catalog: &Catalog) -> Vec<GuardedCall> {
    let track = catalog.track_a.to_string();
    vec![
        ("my_releases", vec![], &[Role::Artist]),
        ("label_catalog", vec![], &[Role::LabelManager]),
        ("label_summaries", vec![], &[Role::Staff]),
        (
            "track",
            vec![("track_id", track.clone())],
            &[Role::Artist, Role::LabelManager, Role::Staff],
        ),
        ("list_users", vec![], &[Role::Staff]),
        ("link_choices", vec![], &[Role::Staff]),
        (
            "create_user",
            vec![
                ("email", "new@x.test".into()),
                ("role", "staff".into()),
                ("link", String::new()),
                ("password", "long enough 123".into()),
            ],
            &[Role::Staff],
        ),
        (
            "update_user_access",
            vec![("user_id", "1".into()), ("role", "staff".into()), ("link", String::new())],
            &[Role::Staff],
        ),
        (
            "set_user_disabled",
            vec![("user_id", "2".into()), ("disabled", "false".into())],
            &[Role::Staff],
        ),
        (
            "set_one_time_password",
            vec![("user_id", "2".into()), ("password", "long enough 123".into())],
            &[Role::Staff],
        ),
        ("ingestion_overview", vec![], &[Role::Staff]),
        ("report_file", vec![("file_id", "1".into())], &[Role::Staff]),
        ("run_job_now", vec![("job_id", "1".into())], &[Role::Staff]),
        ("set_job_paused", vec![("job_id", "1".into()), ("paused", "true".into())], &[Role::Staff]),
        ("backfill_job", vec![("job_id", "1".into()), ("month", "2026-01".into())], &[Role::Staff]),
        ("retry_report_file", vec![("file_id", "1".into())], &[Role::Staff]),
        ("confirm_supersede", vec![("file_id", "1".into())], &[Role::Staff]),
        ("withdraw_report_file", vec![("file_id", "1".into())], &[Role::Staff]),
        ("exchange_rates", vec![], &[Role::Staff]),
        ("list_payees", vec![("q", String::new())], &[Role::Staff]),
        (
            "save_payee",
            vec![
                ("payee_id", "0".into()),
                ("label_id", catalog.label_a.to_string()),
                ("name", "New payee".into()),
                ("kind", "producer".into()),
            ],
            &[Role::Staff],
        ),
        ("list_contracts", vec![("q", String::new())], &[Role::Staff]),
        (
            "save_contract",
            vec![
                ("subject", "USAAA2600001".into()),
                ("valid_from", "2026-01".into()),
                ("distribution_fee", "0.1".into()),
                ("splits", "Nobody: 1".into()),
            ],
            &[Role::Staff],
        ),
        ("list_advances", vec![("q", String::new())], &[Role::Staff]),
        (
            "save_advance",
            vec![
                ("payee_id", "1".into()),
                ("amount", "10".into()),
                ("paid_on", "2026-01-01".into()),
            ],
            &[Role::Staff],
        ),
        ("remove_advance", vec![("advance_id", "1".into())], &[Role::Staff]),
        ("list_claims", vec![("q", String::new())], &[Role::Staff]),
        (
            "save_claim",
            vec![
                ("isrc", "USAAA2600001".into()),
                ("party", "Someone".into()),
                ("share", "0.5".into()),
                ("territories", "US".into()),
                ("valid_from", "2026-01-01".into()),
                ("source", "manual".into()),
            ],
            &[Role::Staff],
        ),
        ("catalog_for_staff", vec![("q", String::new())], &[Role::Staff]),
        (
            "save_label",
            vec![
                ("label_id", "0".into()),
                ("name", "Another".into()),
                ("accounting_currency", "USD".into()),
            ],
            &[Role::Staff],
        ),
        (
            "save_release",
            vec![
                ("release_id", "0".into()),
                ("label_id", catalog.label_a.to_string()),
                ("upc", "5012345678900".into()),
                ("title", "T".into()),
                ("artist", "A".into()),
            ],
            &[Role::Staff],
        ),
        (
            "save_track",
            vec![
                ("track_id", track.clone()),
                ("release_id", "1".into()),
                ("isrc", "USAAA2600001".into()),
                ("title", "Renamed".into()),
                ("track_number", "1".into()),
                ("main_artist", "A".into()),
            ],
            &[Role::Staff],
        ),
        (
            "amount_lineage",
            vec![
                ("track_id", track.clone()),
                ("platform", "spotify".into()),
                ("territory", "US".into()),
                ("month", "2026-01".into()),
            ],
            &[Role::Staff],
        ),
        ("payout_runs", vec![], &[Role::LabelManager, Role::Staff]),
        (
            "create_payout_run",
            vec![("label_id", catalog.label_a.to_string()), ("period_end", "2025-01".into())],
            &[Role::LabelManager, Role::Staff],
        ),
        ("payout_run", vec![("run_id", "1".into())], &[Role::LabelManager, Role::Staff]),
        (
            "payout_run_action",
            vec![("run_id", "1".into()), ("action", "approve".into())],
            &[Role::LabelManager, Role::Staff],
        ),
        ("payout_statements", vec![], &[Role::Artist, Role::LabelManager, Role::Staff]),
        (
            "conflict_queue",
            vec![("filter[kind]", String::new())],
            &[Role::LabelManager, Role::Staff],
        ),
        ("conflict", vec![("id", "1".into())], &[Role::LabelManager, Role::Staff]),
        (
            "act_on_conflicts",
            vec![("ids[0]", "1".into()), ("action", "assign".into())],
            &[Role::Staff],
        ),
        (
            "track_holds",
            vec![("track_id", track.clone())],
            &[Role::Artist, Role::LabelManager, Role::Staff],
        ),
        ("conflict_alerts", vec![], &[Role::Staff]),
        ("dashboard", vec![], &[Role::Artist, Role::LabelManager, Role::Staff]),
        (
            "dashboard_table",
            vec![
                ("table[by]", "territory".into()),
                ("table[sort][key]", "amount".into()),
                ("table[sort][descending]", "true".into()),
                ("table[page]", "1".into()),
            ],
            &[Role::Artist, Role::LabelManager, Role::Staff],
        ),
        ("staff_dashboard", vec![], &[Role::Staff]),
        ("set_conflict_alert_amount", vec![("amount", "5".into())], &[Role::Staff]),
        (
            "payout_statement",
            vec![("run_id", "1".into()), ("payee_id", "1".into())],
            &[Role::Artist, Role::LabelManager, Role::Staff],
        ),
    ]
}

async fn call(
    browser: &Browser,
    name: &str,
    fields: &[(&'static str, String)],
) -> reqwest::Response {
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser.call(name, &form).await
}

#[tokio::test]
async fn anonymous_callers_are_refused_everywhere() {
    let app = TestApp::spawn().await;
    let catalog = Catalog::create(&app.pool).await;
    let anonymous = app.browser();
    for (name, fields, _) in guarded_calls(&catalog) {
        let (status, body) = error_of(call(&anonymous, name, &fields).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(body, Value::from("Unauthorized"), "{name}");
    }
}

#[tokio::test]
async fn each_role_is_refused_what_is_not_its_own() {
    let app = TestApp::spawn().await;
    let logins = logins(&app).await;
    for (role, browser) in [
        (Role::Artist, &logins.artist),
        (Role::LabelManager, &logins.manager),
        (Role::Staff, &logins.staff),
    ] {
        for (name, fields, allowed) in guarded_calls(&logins.catalog) {
            if allowed.contains(&role) {
                continue;
            }
            let (status, body) = error_of(call(browser, name, &fields).await).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{role} calling {name}");
            assert_eq!(body, Value::from("Forbidden"), "{role} calling {name}");
        }
    }
    // Nothing was changed by the refused calls.
    let users: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&app.pool).await.unwrap();
    assert_eq!(users, 3);
    let disabled: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE disabled")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(disabled, 0);
    let (runs, paused): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM ingestion_runs), (SELECT count(*) FROM ingestion_jobs WHERE NOT enabled)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((runs, paused), (0, 0), "no run queued, no job paused");
}

#[tokio::test]
async fn an_artist_asking_for_another_artists_track_gets_not_found() {
    let app = TestApp::spawn().await;
    let logins = logins(&app).await;
    let track = |id: i64| [("track_id", id.to_string())];

    let own = call(&logins.artist, "track", &track(logins.catalog.track_a)).await;
    assert_eq!(own.status(), StatusCode::OK);
    let (others_status, others) =
        error_of(call(&logins.artist, "track", &track(logins.catalog.track_a2)).await).await;
    let (missing_status, missing) =
        error_of(call(&logins.artist, "track", &track(987_654)).await).await;
    assert_eq!(others_status, StatusCode::NOT_FOUND);
    assert_eq!(
        (others_status, others),
        (missing_status, missing),
        "indistinguishable from a missing track"
    );
    let (status, _) =
        error_of(call(&logins.artist, "track", &track(logins.catalog.track_b)).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_label_manager_sees_their_label_only() {
    let app = TestApp::spawn().await;
    let logins = logins(&app).await;
    let track = |id: i64| [("track_id", id.to_string())];
    for own in [logins.catalog.track_a, logins.catalog.track_a2] {
        assert_eq!(call(&logins.manager, "track", &track(own)).await.status(), StatusCode::OK);
    }
    let (status, _) =
        error_of(call(&logins.manager, "track", &track(logins.catalog.track_b)).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let body: Value = logins.manager.call("label_catalog", &[]).await.json().await.unwrap();
    let names = |key: &str, field: &str| -> Vec<String> {
        body[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v[field].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("artists", "name"), ["Artist A", "Artist A2"]);
    assert!(names("releases", "label_name").iter().all(|l| l == "Label A"));
}

#[tokio::test]
async fn an_artist_sees_only_tracks_they_are_credited_on() {
    let app = TestApp::spawn().await;
    let logins = logins(&app).await;
    // Artist A is featured on Artist A2's track: it becomes theirs to see, and nothing else.
    sqlx::query(
        "INSERT INTO track_artists (track_id, artist_id, role) VALUES ($1, $2, 'featured')",
    )
    .bind(logins.catalog.track_a2)
    .bind(logins.catalog.artist_a)
    .execute(&app.pool)
    .await
    .unwrap();
    let body: Value = logins.artist.call("my_releases", &[]).await.json().await.unwrap();
    let mut tracks: Vec<i64> = body
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["tracks"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()))
        .collect();
    tracks.sort();
    assert_eq!(tracks, [logins.catalog.track_a, logins.catalog.track_a2]);
    let featured =
        call(&logins.artist, "track", &[("track_id", logins.catalog.track_a2.to_string())]).await;
    let featured: Value = featured.json().await.unwrap();
    assert_eq!(featured["track"]["artists"], "Artist A2 feat. Artist A");
}

#[tokio::test]
async fn pages_answer_with_the_right_status() {
    let app = TestApp::spawn().await;
    let logins = logins(&app).await;
    let anonymous = app.browser();
    let response = anonymous.get("/").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()["location"], "/login");
    assert_eq!(anonymous.get("/login").await.status(), StatusCode::OK);
    assert_eq!(anonymous.get("/no/such/page").await.status(), StatusCode::NOT_FOUND);

    let own = format!("/tracks/{}", logins.catalog.track_a);
    let others = format!("/tracks/{}", logins.catalog.track_b);
    assert_eq!(logins.artist.get(&own).await.status(), StatusCode::OK);
    assert_eq!(logins.artist.get(&others).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(logins.artist.get("/users").await.status(), StatusCode::FORBIDDEN);
    let staff_page = logins.staff.get("/users").await;
    assert_eq!(staff_page.status(), StatusCode::OK);
    assert!(staff_page.text().await.unwrap().contains("artist@a.test"));
    assert_eq!(logins.artist.get("/payouts").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(logins.artist.get("/statements").await.status(), StatusCode::OK);
    assert_eq!(logins.manager.get("/payouts").await.status(), StatusCode::OK);
    assert_eq!(logins.artist.get("/statements/1/1").await.status(), StatusCode::NOT_FOUND);
}

async fn queue(browser: &Browser) -> Value {
    let r = browser.call("conflict_queue", &[("filter[kind]", "")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<Value>().await.unwrap()
}

/// Two overlapping claims on a track: a conflict holding its revenue.
async fn disputed(pool: &sqlx::PgPool, track: i64, other: &str) {
    for (party, source) in [("Our Label", "delivery"), (other, "platform_report")] {
        sqlx::query(
            "INSERT INTO ownership_claims (track_id, party, share, territories, valid_from, source)
             VALUES ($1, $2, 1, '{WW}', '2026-01-01', $3)",
        )
        .bind(track)
        .bind(party)
        .bind(source)
        .execute(pool)
        .await
        .unwrap();
    }
    let mut tx = pool.begin().await.unwrap();
    app::conflicts::detect::detect(&mut tx, &app::conflicts::detect::Scope::Tracks(vec![track]))
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn conflicts_are_seen_by_staff_their_labels_manager_and_as_holds_by_their_artist() {
    let app = TestApp::spawn().await;
    let logins = logins(&app).await;
    let c = &logins.catalog;
    disputed(&app.pool, c.track_a, "Rival Records A").await;
    disputed(&app.pool, c.track_b, "Rival Records B").await;
    let id_of = |track: i64| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT id FROM conflicts WHERE track_id = $1")
                .bind(track)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let (a, b) = (id_of(c.track_a).await, id_of(c.track_b).await);

    let ids = |queue: &Value| -> Vec<i64> {
        queue["rows"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect()
    };
    let mut all = ids(&queue(&logins.staff).await);
    all.sort();
    assert_eq!(all, [a, b]);
    let theirs = queue(&logins.manager).await;
    assert_eq!(ids(&theirs), [a], "a manager sees their label's conflicts only");
    assert_eq!(theirs["can_act"], Value::Bool(false));
    let r = logins.manager.call("conflict", &[("id", &b.to_string())]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "another label's conflict is not there");
    let r = logins.manager.call("conflict", &[("id", &a.to_string())]).await;
    assert_eq!(r.status(), StatusCode::OK);

    // The artist learns that and why their track's revenue is held, never who the
    // other party is, and nothing of another artist's track.
    let r = logins.artist.call("track_holds", &[("track_id", &c.track_a.to_string())]).await;
    let body = r.text().await.unwrap();
    assert!(body.contains("overlapping_claims"), "{body}");
    assert!(!body.contains("Rival Records"), "{body}");
    let r = logins.artist.call("track_holds", &[("track_id", &c.track_b.to_string())]).await;
    assert_eq!(r.json::<Value>().await.unwrap(), Value::Array(vec![]));

    // Only staff decide, and a refused call changes nothing.
    let r = logins
        .manager
        .call("act_on_conflicts", &[("ids[0]", &a.to_string()), ("action", "ours")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = logins
        .staff
        .call("act_on_conflicts", &[("ids[0]", &a.to_string()), ("action", "ours")])
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let statuses: Vec<String> = sqlx::query_scalar("SELECT status FROM conflicts ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(statuses, ["resolved", "open"]);
}
