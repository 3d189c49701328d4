//! Access to the database pool from inside server functions.

use crate::error::AppError;
use leptos::prelude::use_context;
use sqlx::PgPool;

/// The pool the server put into the Leptos context for this request.
#[track_caller]
pub fn pool() -> Result<PgPool, AppError> {
    let caller = std::panic::Location::caller();
    use_context::<PgPool>().ok_or_else(|| {
        tracing::error!(%caller, "no database pool in the request context");
        AppError::Internal
    })
}

/// True when `e` is a violation of the unique constraint or index `name`.
pub fn is_unique_violation(e: &sqlx::Error, name: &str) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation() && db.constraint() == Some(name))
}
