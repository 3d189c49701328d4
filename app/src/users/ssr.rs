//! Users in the database. Shared by the staff pages, `backbeat user add` and the demo.

use super::{Link, LinkChoices, UserRow};
use crate::{
    auth::password,
    db::is_unique_violation,
    domain::{Email, Password, Role},
    error::AppError,
};
use sqlx::PgPool;

#[derive(Debug)]
pub struct NewUser {
    pub email: Email,
    pub role: Role,
    pub link: Link,
    pub password: Password,
    pub must_change_password: bool,
}

fn link_columns(link: Link) -> (Option<i64>, Option<i64>) {
    match link {
        Link::Artist(id) => (Some(id), None),
        Link::Label(id) => (None, Some(id)),
        Link::None => (None, None),
    }
}

/// Adds a login. Takes any executor so the demo can add users inside its transaction.
pub async fn insert(db: impl sqlx::PgExecutor<'_>, new: &NewUser) -> Result<i64, AppError> {
    new.link.check_fits(new.role)?;
    let (artist_id, label_id) = link_columns(new.link);
    let hash = password::hash_off_thread(new.password.clone()).await;
    sqlx::query_scalar!(
        r#"
        INSERT INTO users (email, password_hash, role, artist_id, label_id, must_change_password)
        VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING id
        "#,
        new.email.as_str(),
        hash,
        new.role.as_str(),
        artist_id,
        label_id,
        new.must_change_password
    )
    .fetch_one(db)
    .await
    .map_err(|e| explain_write_error(e, &new.email))
}

fn explain_write_error(e: sqlx::Error, email: &Email) -> AppError {
    if is_unique_violation(&e, "users_email_key") {
        AppError::invalid(format!("There is already a login for {email}."))
    } else {
        explain_missing_link(e)
    }
}

/// The artist or label id given does not exist (a foreign key refused it).
fn explain_missing_link(e: sqlx::Error) -> AppError {
    match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            AppError::invalid("That artist or label does not exist.")
        }
        _ => e.into(),
    }
}

pub async fn list(pool: &PgPool) -> Result<Vec<UserRow>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT u.id, u.email, u.role, u.artist_id, u.label_id, u.disabled,
               u.must_change_password,
               u.created_at AS "created_at: chrono::DateTime<chrono::Utc>",
               u.last_login_at AS "last_login_at: chrono::DateTime<chrono::Utc>",
               coalesce(a.name, l.name) AS link_name
        FROM users u
        LEFT JOIN artists a ON a.id = u.artist_id
        LEFT JOIN labels l ON l.id = u.label_id
        ORDER BY u.disabled, u.role DESC, u.email
        "#
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let link = match (r.artist_id, r.label_id) {
                (Some(id), _) => Link::Artist(id),
                (_, Some(id)) => Link::Label(id),
                _ => Link::None,
            };
            Ok(UserRow {
                id: r.id,
                email: r.email,
                role: r.role.parse()?,
                link_name: r.link_name,
                link_value: link.form_value(),
                disabled: r.disabled,
                must_change_password: r.must_change_password,
                created_at: r.created_at,
                last_login_at: r.last_login_at,
            })
        })
        .collect()
}

pub async fn link_choices(pool: &PgPool) -> Result<LinkChoices, AppError> {
    let labels = sqlx::query!("SELECT id, name FROM labels ORDER BY lower(name)")
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let artists = sqlx::query!("SELECT id, name FROM artists ORDER BY lower(name)")
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    Ok(LinkChoices { labels, artists })
}

/// Fails with NotFound when no row was touched.
fn one_row(result: sqlx::postgres::PgQueryResult) -> Result<(), AppError> {
    if result.rows_affected() == 1 { Ok(()) } else { Err(AppError::NotFound) }
}

pub async fn update_access(
    pool: &PgPool,
    user_id: i64,
    role: Role,
    link: Link,
) -> Result<(), AppError> {
    link.check_fits(role)?;
    let (artist_id, label_id) = link_columns(link);
    // A new scope is a new session: end the old ones rather than let them see more.
    let result = sqlx::query!(
        r#"
        UPDATE users SET role = $2, artist_id = $3, label_id = $4, session_epoch = session_epoch + 1
        WHERE id = $1
        "#,
        user_id,
        role.as_str(),
        artist_id,
        label_id
    )
    .execute(pool)
    .await
    .map_err(explain_missing_link)?;
    one_row(result)
}

pub async fn set_disabled(pool: &PgPool, user_id: i64, disabled: bool) -> Result<(), AppError> {
    let result = sqlx::query!(
        r#"
        UPDATE users SET disabled = $2,
               session_epoch = session_epoch + CASE WHEN $2 THEN 1 ELSE 0 END
        WHERE id = $1
        "#,
        user_id,
        disabled
    )
    .execute(pool)
    .await?;
    one_row(result)
}

pub async fn set_one_time_password(
    pool: &PgPool,
    user_id: i64,
    new: Password,
) -> Result<(), AppError> {
    let hash = password::hash_off_thread(new).await;
    let result = sqlx::query!(
        r#"
        UPDATE users SET password_hash = $2, must_change_password = true,
               password_changed_at = now(), session_epoch = session_epoch + 1
        WHERE id = $1
        "#,
        user_id,
        hash
    )
    .execute(pool)
    .await?;
    one_row(result)
}
