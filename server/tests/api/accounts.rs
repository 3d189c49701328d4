//! Account management: disabling, password changes, one-time passwords.

use crate::helpers::{Catalog, PASSWORD, TestApp, error_of, user};
use app::{domain::Role, users::Link};
use reqwest::StatusCode;

#[tokio::test]
async fn a_disabled_user_loses_open_sessions_and_cannot_log_in() {
    let app = TestApp::spawn().await;
    let catalog = Catalog::create(&app.pool).await;
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let artist_id =
        user(&app.pool, "ann@artist.test", Role::Artist, Link::Artist(catalog.artist_a)).await;
    let staff = app.browser();
    staff.login_ok("staff@distro.test", PASSWORD).await;
    let artist = app.browser();
    artist.login_ok("ann@artist.test", PASSWORD).await;
    assert_eq!(artist.call("my_releases", &[]).await.status(), StatusCode::OK);

    let id = artist_id.to_string();
    let response = staff.call("set_user_disabled", &[("user_id", &id), ("disabled", "true")]).await;
    assert_eq!(response.status(), StatusCode::OK);

    let (status, _) = error_of(artist.call("my_releases", &[]).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the open session ended");
    let (status, body) = error_of(app.browser().login("ann@artist.test", PASSWORD).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["Invalid"].as_str().unwrap().contains("disabled"), "{body}");

    // Enabled again, the same password works.
    staff.call("set_user_disabled", &[("user_id", &id), ("disabled", "false")]).await;
    app.browser().login_ok("ann@artist.test", PASSWORD).await;
}

#[tokio::test]
async fn staff_cannot_disable_themselves() {
    let app = TestApp::spawn().await;
    let id = user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await.to_string();
    let staff = app.browser();
    staff.login_ok("staff@distro.test", PASSWORD).await;
    let (status, _) =
        error_of(staff.call("set_user_disabled", &[("user_id", &id), ("disabled", "true")]).await)
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(staff.whoami().await.is_some());
}

#[tokio::test]
async fn changing_a_password_ends_the_other_sessions_only() {
    let app = TestApp::spawn().await;
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let laptop = app.browser();
    laptop.login_ok("staff@distro.test", PASSWORD).await;
    let phone = app.browser();
    phone.login_ok("staff@distro.test", PASSWORD).await;

    let new = "a brand new passphrase";
    let form = [("current_password", PASSWORD), ("new_password", new), ("confirm_password", new)];
    assert_eq!(laptop.call("change_password", &form).await.status(), StatusCode::OK);

    assert_eq!(laptop.whoami().await.as_deref(), Some("staff@distro.test"));
    assert_eq!(phone.whoami().await, None);
    let (status, _) = error_of(app.browser().login("staff@distro.test", PASSWORD).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    app.browser().login_ok("staff@distro.test", new).await;
}

#[tokio::test]
async fn a_password_change_checks_the_current_password_and_the_policy() {
    let app = TestApp::spawn().await;
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let browser = app.browser();
    browser.login_ok("staff@distro.test", PASSWORD).await;
    let cases = [
        (
            "not the password",
            "a brand new passphrase",
            "a brand new passphrase",
            "current password",
        ),
        (PASSWORD, "short", "short", "at least 10 characters"),
        (PASSWORD, "a brand new passphrase", "a different one here", "differ"),
    ];
    for (current, new, confirm, expected) in cases {
        let form =
            [("current_password", current), ("new_password", new), ("confirm_password", confirm)];
        let (status, body) = error_of(browser.call("change_password", &form).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body["Invalid"].as_str().unwrap().contains(expected), "{body}");
    }
}

#[tokio::test]
async fn a_one_time_password_must_be_changed_before_anything_else() {
    let app = TestApp::spawn().await;
    let catalog = Catalog::create(&app.pool).await;
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let staff = app.browser();
    staff.login_ok("staff@distro.test", PASSWORD).await;

    let link = format!("label:{}", catalog.label_a);
    let form = [
        ("email", "new.manager@label-a.test"),
        ("role", "label_manager"),
        ("link", link.as_str()),
        ("password", "one time only 123"),
    ];
    let response = staff.call("create_user", &form).await;
    assert_eq!(response.status(), StatusCode::OK);
    let id: i64 = response.json().await.unwrap();

    let manager = app.browser();
    manager.login_ok("new.manager@label-a.test", "one time only 123").await;
    let (status, body) = error_of(manager.call("label_catalog", &[]).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, serde_json::json!("PasswordChangeRequired"));

    let new = "my own passphrase";
    let change = [
        ("current_password", "one time only 123"),
        ("new_password", new),
        ("confirm_password", new),
    ];
    assert_eq!(manager.call("change_password", &change).await.status(), StatusCode::OK);
    assert_eq!(manager.call("label_catalog", &[]).await.status(), StatusCode::OK);

    // Staff reset it: the manager's session ends and the new one-time password applies.
    let id = id.to_string();
    let reset = [("user_id", id.as_str()), ("password", "second one time 456")];
    assert_eq!(staff.call("set_one_time_password", &reset).await.status(), StatusCode::OK);
    assert_eq!(manager.whoami().await, None);
    manager.login_ok("new.manager@label-a.test", "second one time 456").await;
    let (status, _) = error_of(manager.call("label_catalog", &[]).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn staff_get_clear_errors_for_bad_user_input() {
    let app = TestApp::spawn().await;
    let catalog = Catalog::create(&app.pool).await;
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let staff = app.browser();
    staff.login_ok("staff@distro.test", PASSWORD).await;
    let artist = format!("artist:{}", catalog.artist_a);
    let label = format!("label:{}", catalog.label_a);
    let cases = [
        ("not-an-email", "artist", artist.as_str(), "is not an email address"),
        ("x@y.test", "artist", label.as_str(), "must be tied to an artist"),
        ("x@y.test", "boss", "", "is not a role"),
        ("x@y.test", "artist", "artist:999999", "does not exist"),
        ("staff@distro.test", "staff", "", "already a login for staff@distro.test"),
    ];
    for (email, role, link, expected) in cases {
        let form =
            [("email", email), ("role", role), ("link", link), ("password", "long enough 123")];
        let (status, body) = error_of(staff.call("create_user", &form).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{email} {role} {link}");
        assert!(body["Invalid"].as_str().unwrap().contains(expected), "{body} lacks {expected}");
    }
}

#[tokio::test]
async fn changing_a_users_access_ends_their_sessions_and_changes_what_they_see() {
    let app = TestApp::spawn().await;
    let catalog = Catalog::create(&app.pool).await;
    user(&app.pool, "staff@distro.test", Role::Staff, Link::None).await;
    let id =
        user(&app.pool, "mgr@label.test", Role::LabelManager, Link::Label(catalog.label_a)).await;
    let staff = app.browser();
    staff.login_ok("staff@distro.test", PASSWORD).await;
    let manager = app.browser();
    manager.login_ok("mgr@label.test", PASSWORD).await;

    let id = id.to_string();
    let link = format!("label:{}", catalog.label_b);
    let form = [("user_id", id.as_str()), ("role", "label_manager"), ("link", link.as_str())];
    assert_eq!(staff.call("update_user_access", &form).await.status(), StatusCode::OK);
    assert_eq!(manager.whoami().await, None);

    manager.login_ok("mgr@label.test", PASSWORD).await;
    let body: serde_json::Value = manager.call("label_catalog", &[]).await.json().await.unwrap();
    let artists: Vec<&str> =
        body["artists"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(artists, ["Artist B"]);
}
