//! Logging in and out, sessions, throttling.

use crate::helpers::{Catalog, PASSWORD, TestApp, UNKNOWN_EMAILS, error_of, user};
use app::{
    auth::{password::DUMMY_VERIFICATIONS, throttle},
    domain::Role,
    users::Link,
};
use reqwest::StatusCode;
use std::sync::atomic::Ordering;

#[tokio::test]
async fn login_succeeds_with_a_hardened_session_cookie() {
    let app = TestApp::spawn().await;
    let catalog = Catalog::create(&app.pool).await;
    user(&app.pool, "ann@label-a.test", Role::LabelManager, Link::Label(catalog.label_a)).await;

    let browser = app.browser();
    let response = browser.login("Ann@Label-A.test ", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("backbeat_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "not configured for https: {cookie}");
    assert_eq!(browser.whoami().await.as_deref(), Some("ann@label-a.test"));

    let last_login: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT last_login_at FROM users WHERE email = 'ann@label-a.test'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(last_login.is_some());
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let browser = app.browser();

    let (status, wrong_password) =
        error_of(browser.login("staff@distro.test", "not it at all").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let _alone = UNKNOWN_EMAILS.lock().await;
    let dummy_before = DUMMY_VERIFICATIONS.load(Ordering::SeqCst);
    let (status, unknown_email) =
        error_of(browser.login("nobody@distro.test", "not it at all").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong_password, unknown_email);
    assert!(
        DUMMY_VERIFICATIONS.load(Ordering::SeqCst) > dummy_before,
        "an unknown email must still cost one password verification"
    );
    assert_eq!(browser.whoami().await, None);
    assert!(browser.cookie().is_none(), "no session for a failed login");
}

#[tokio::test]
async fn the_session_id_changes_at_login() {
    let app = TestApp::spawn().await;
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let browser = app.browser();
    browser.login_ok("staff@distro.test", PASSWORD).await;
    let first = browser.cookie().unwrap();
    browser.login_ok("staff@distro.test", PASSWORD).await;
    let second = browser.cookie().unwrap();
    assert_ne!(first, second);
    // The id from before the second login is worthless now.
    assert_eq!(app.browser_with(Some(first)).whoami().await, None);
    assert_eq!(browser.whoami().await.as_deref(), Some("staff@distro.test"));
}

#[tokio::test]
async fn a_session_survives_a_server_restart() {
    let first = TestApp::spawn().await;
    user(&first.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let browser = first.browser();
    browser.login_ok("staff@distro.test", PASSWORD).await;
    let url = first.database_url.clone();
    first.stop().await;

    let second = TestApp::spawn_on(url).await;
    let returning = second.browser_with(browser.cookie());
    assert_eq!(returning.whoami().await.as_deref(), Some("staff@distro.test"));
}

#[tokio::test]
async fn logout_ends_the_session_even_for_a_copied_cookie() {
    let app = TestApp::spawn().await;
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let browser = app.browser();
    browser.login_ok("staff@distro.test", PASSWORD).await;
    let copy = app.browser_with(browser.cookie());

    assert_eq!(browser.call("logout", &[]).await.status(), StatusCode::OK);
    assert_eq!(browser.whoami().await, None);
    assert_eq!(copy.whoami().await, None);
    let (status, _) = error_of(copy.call("list_users", &[]).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_throttle_trips_after_five_failures_for_an_account() {
    let app = TestApp::spawn().await;
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let browser = app.browser();
    for _ in 0..5 {
        let (status, _) =
            error_of(browser.login("staff@distro.test", "wrong password!").await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Now even the right password is refused, with a message that says why.
    let (status, body) = error_of(browser.login("staff@distro.test", PASSWORD).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let message = body["Throttled"].as_str().unwrap();
    assert!(message.contains("try again in 15 minutes"), "{message}");
    assert_eq!(browser.whoami().await, None);
}

#[tokio::test]
async fn the_throttle_counts_failures_per_address_across_accounts() {
    let app = TestApp::spawn().await;
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let browser = app.browser();
    let _alone = UNKNOWN_EMAILS.lock().await;
    for n in 0..5 {
        let email = format!("guess{n}@distro.test");
        browser.login(&email, "wrong password!").await;
    }
    let (status, _) = error_of(browser.login("staff@distro.test", PASSWORD).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_success_clears_an_accounts_failures_but_not_an_addresss() {
    // Called directly with made-up addresses: every test request comes from 127.0.0.1.
    let app = TestApp::spawn().await;
    let email = "staff@distro.test";
    for _ in 0..4 {
        throttle::record(&app.pool, email, "192.0.2.1", false).await.unwrap();
    }
    throttle::record(&app.pool, email, "192.0.2.1", true).await.unwrap();
    for _ in 0..4 {
        throttle::record(&app.pool, email, "192.0.2.2", false).await.unwrap();
    }
    // Eight failures for the account in the window, but four since its success.
    assert!(throttle::check(&app.pool, email, "192.0.2.3").await.is_ok());
    throttle::record(&app.pool, email, "192.0.2.2", false).await.unwrap();
    assert!(throttle::check(&app.pool, email, "192.0.2.3").await.is_err());
    // The first address has four failures and a success: not locked; the second has five.
    assert!(throttle::check(&app.pool, "other@distro.test", "192.0.2.1").await.is_ok());
    assert!(throttle::check(&app.pool, "other@distro.test", "192.0.2.2").await.is_err());
}

#[tokio::test]
async fn activity_keeps_a_session_alive_until_its_absolute_limit() {
    let idle = chrono::Duration::seconds(2);
    let app = TestApp::spawn_configured(|s| s.session_idle = idle).await;
    let capped = TestApp::spawn_configured(|s| {
        s.session_idle = idle;
        s.session_absolute = chrono::Duration::seconds(3);
    })
    .await;
    for app in [&app, &capped] {
        user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    }
    let (active, resting, busy) = (app.browser(), app.browser(), capped.browser());
    active.login_ok("staff@distro.test", PASSWORD).await;
    resting.login_ok("staff@distro.test", PASSWORD).await;
    busy.login_ok("staff@distro.test", PASSWORD).await;

    // Twice the idle time, with a request every 0.7 s from the active ones.
    for _ in 0..6 {
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        assert_eq!(active.whoami().await.as_deref(), Some("staff@distro.test"));
        let _ = busy.whoami().await;
    }
    assert_eq!(resting.whoami().await, None, "idle for over 2 s");
    assert_eq!(busy.whoami().await, None, "over 3 s since login, however active");
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(active.whoami().await, None, "idle for over 2 s at last");
}

#[tokio::test]
async fn parallel_guesses_cannot_slip_past_the_throttle() {
    let app = TestApp::spawn().await;
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let browsers: Vec<_> = (0..10).map(|_| app.browser()).collect();
    let attempts = browsers.iter().map(|b| b.login("staff@distro.test", "guess guess guess"));
    let statuses: Vec<StatusCode> =
        futures_util::future::join_all(attempts).await.iter().map(|r| r.status()).collect();
    let throttled = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(throttled, 5, "{statuses:?}");
    let counted: i64 =
        sqlx::query_scalar("SELECT count(*) FROM login_attempts WHERE NOT succeeded")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(counted, 5, "only five guesses were ever checked against the password");
}
