//! Server side of authentication: sessions, the guard, login and password changes.

use super::{SessionUser, password, throttle};
use crate::{
    db::{pool, request_forget, request_once},
    domain::{Email, Password, Role},
    error::AppError,
};
use chrono::Utc;
use leptos::prelude::use_context;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tower_sessions::Session;

/// What a session remembers about its login. The user row is read again on every
/// request, so role changes, disabling and revocation take effect at once.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionAuth {
    user_id: i64,
    /// `users.session_epoch` at login; bumping the column ends every older session.
    epoch: i32,
    /// Unix seconds; sessions end `SessionPolicy::absolute` after login whatever the activity.
    login_at: i64,
    /// Unix seconds of the last time the session was saved, which pushes its idle expiry
    /// back. Saving on every request would write to the database on every page view.
    touched_at: i64,
}

const AUTH_KEY: &str = "auth";

/// How long sessions live, provided as context by the server. The session store
/// enforces `idle` (its expiry); the guard enforces `absolute` and keeps an active
/// session's idle expiry moving.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle: chrono::Duration,
    pub absolute: chrono::Duration,
}

impl SessionPolicy {
    /// Resave an active session this often: a quarter of the idle time, at most a minute.
    fn touch_every(&self) -> i64 {
        (self.idle.num_seconds() / 4).clamp(0, 60)
    }
}

fn policy() -> Result<SessionPolicy, AppError> {
    use_context::<SessionPolicy>().ok_or_else(|| {
        tracing::error!("no session policy in the request context");
        AppError::Internal
    })
}

async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer on this request");
        AppError::Internal
    })
}

fn session_error(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store error");
    AppError::Internal
}

/// The address the request came from, for throttling. Behind a reverse proxy this is
/// the proxy's address: run one proxy per client network or accept shared throttling.
fn client_ip() -> String {
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

struct UserRecord {
    user: SessionUser,
    disabled: bool,
    epoch: i32,
}

async fn load_user(pool: &PgPool, user_id: i64) -> Result<Option<UserRecord>, AppError> {
    let row = sqlx::query!(
        r#"
        SELECT u.id, u.email, u.role, u.artist_id, u.label_id, u.disabled,
               u.must_change_password, u.session_epoch,
               coalesce(a.name, l.name, 'All labels') AS "scope_name!"
        FROM users u
        LEFT JOIN artists a ON a.id = u.artist_id
        LEFT JOIN labels l ON l.id = u.label_id
        WHERE u.id = $1
        "#,
        user_id
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let role: Role = row.role.parse().map_err(|_| {
        tracing::error!(user_id, role = %row.role, "unknown role in users table");
        AppError::Internal
    })?;
    Ok(Some(UserRecord {
        user: SessionUser {
            id: row.id,
            email: row.email,
            role,
            artist_id: row.artist_id,
            label_id: row.label_id,
            scope_name: row.scope_name,
            must_change_password: row.must_change_password,
        },
        disabled: row.disabled,
        epoch: row.session_epoch,
    }))
}

/// The logged-in user, or `None`. A session whose user was disabled, whose epoch was
/// bumped, or which is older than the absolute lifetime is ended here. Looked up once
/// per request: login, logout and password changes forget it.
pub async fn session_user() -> Result<Option<SessionUser>, AppError> {
    request_once(SESSION_USER, 0, || async {
        user_of_session(&session().await?, &pool()?, policy()?).await
    })
    .await
}

/// The request memo's name for the session's user.
const SESSION_USER: &str = "session user";

fn forget_session_user() {
    request_forget::<Option<SessionUser>>(SESSION_USER, 0);
}

/// [`session_user`] for a handler outside Leptos, which has the session, pool and
/// policy in hand rather than in context.
pub async fn user_of_session(
    session: &Session,
    pool: &PgPool,
    policy: SessionPolicy,
) -> Result<Option<SessionUser>, AppError> {
    let Some(mut auth) = session.get::<SessionAuth>(AUTH_KEY).await.map_err(session_error)? else {
        return Ok(None);
    };
    let now = Utc::now().timestamp();
    let expired = now - auth.login_at > policy.absolute.num_seconds();
    let record = load_user(pool, auth.user_id).await?;
    match record {
        Some(r) if !r.disabled && r.epoch == auth.epoch && !expired => {
            if now - auth.touched_at >= policy.touch_every() {
                auth.touched_at = now;
                session.insert(AUTH_KEY, auth).await.map_err(session_error)?;
            }
            Ok(Some(r.user))
        }
        _ => {
            session.flush().await.map_err(session_error)?;
            Ok(None)
        }
    }
}

/// The role check of [`require_role`] for a user found by [`user_of_session`].
pub fn check_role(user: Option<SessionUser>, allowed: &[Role]) -> Result<SessionUser, AppError> {
    let user = user.ok_or(AppError::Unauthorized)?;
    if user.must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
    if allowed.is_empty() || allowed.contains(&user.role) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The guard: every server function that shows or changes data starts here.
pub async fn require_user() -> Result<SessionUser, AppError> {
    check_role(session_user().await?, &[])
}

/// The guard for functions only some roles may call.
pub async fn require_role(allowed: &[Role]) -> Result<SessionUser, AppError> {
    check_role(session_user().await?, allowed)
}

const WRONG_CREDENTIALS: &str = "That email and password do not match an account.";

pub async fn login(email_input: &str, password_input: &str) -> Result<SessionUser, AppError> {
    let pool = pool()?;
    let ip = client_ip();
    // Throttle on what was typed, even when it is not a valid address.
    let email_key = email_input.trim().to_lowercase();
    let found = match Email::parse(email_input) {
        Ok(email) => find_credentials(&pool, &email).await?,
        Err(_) => None,
    };

    // Check, verify and record under the throttle's locks, so that parallel attempts
    // cannot all pass the check before any of them is counted.
    let mut tx = pool.begin().await?;
    throttle::lock(&mut tx, &email_key, &ip).await?;
    throttle::check(&mut *tx, &email_key, &ip).await?;
    let stored_hash = found.as_ref().map(|(_, hash)| hash.clone());
    let verified = password::verify_off_thread(password_input.to_string(), stored_hash).await;
    throttle::record(&mut *tx, &email_key, &ip, verified).await?;
    tx.commit().await?;

    let user_id = match found {
        Some((id, _)) if verified => id,
        _ => return Err(AppError::invalid(WRONG_CREDENTIALS)),
    };
    let record = load_user(&pool, user_id).await?.ok_or(AppError::Internal)?;
    if record.disabled {
        return Err(AppError::invalid(
            "This account has been disabled. Ask your distributor's staff to enable it.",
        ));
    }
    start_session(&pool, &record).await?;
    Ok(record.user)
}

async fn find_credentials(pool: &PgPool, email: &Email) -> Result<Option<(i64, String)>, AppError> {
    let row = sqlx::query!("SELECT id, password_hash FROM users WHERE email = $1", email.as_str())
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|r| (r.id, r.password_hash)))
}

async fn start_session(pool: &PgPool, record: &UserRecord) -> Result<(), AppError> {
    let session = session().await?;
    // A new id at login, so an id planted before login (session fixation) is worthless.
    session.cycle_id().await.map_err(session_error)?;
    let now = Utc::now().timestamp();
    let auth = SessionAuth {
        user_id: record.user.id,
        epoch: record.epoch,
        login_at: now,
        touched_at: now,
    };
    session.insert(AUTH_KEY, auth).await.map_err(session_error)?;
    forget_session_user();
    sqlx::query!("UPDATE users SET last_login_at = now() WHERE id = $1", record.user.id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn logout() -> Result<(), AppError> {
    // Deletes the session row: the cookie is worthless even if someone kept a copy.
    session().await?.flush().await.map_err(session_error)?;
    forget_session_user();
    Ok(())
}

pub async fn change_own_password(current: &str, new: &str, confirm: &str) -> Result<(), AppError> {
    let user = session_user().await?.ok_or(AppError::Unauthorized)?;
    let pool = pool()?;
    if new != confirm {
        return Err(AppError::invalid("The new password and its confirmation differ."));
    }
    if new == current {
        return Err(AppError::invalid("The new password must differ from the current one."));
    }
    let new = Password::parse(new)?;
    let stored = sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user.id)
        .fetch_one(&pool)
        .await?;
    if !password::verify_off_thread(current.to_string(), Some(stored)).await {
        return Err(AppError::invalid("The current password is not right."));
    }
    let hash = password::hash_off_thread(new).await;
    let epoch = sqlx::query_scalar!(
        r#"
        UPDATE users
        SET password_hash = $2, must_change_password = false, password_changed_at = now(),
            session_epoch = session_epoch + 1
        WHERE id = $1
        RETURNING session_epoch
        "#,
        user.id,
        hash
    )
    .fetch_one(&pool)
    .await?;
    // Every other session is now stale; this one moves to the new epoch under a new id.
    let session = session().await?;
    let mut auth: SessionAuth =
        session.get(AUTH_KEY).await.map_err(session_error)?.ok_or(AppError::Unauthorized)?;
    auth.epoch = epoch;
    session.cycle_id().await.map_err(session_error)?;
    session.insert(AUTH_KEY, auth).await.map_err(session_error)?;
    forget_session_user();
    Ok(())
}
