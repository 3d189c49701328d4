//! Holding a track's revenue back while its ownership is decided, and letting it go.
//! The conflict queue (issue 6) places and releases holds; both re-allocate the track
//! in the same transaction, so the ledger never shows a hold that is not in force.

use super::ledger::{self, Scope};
use crate::domain::{Month, Territory};
use crate::error::AppError;
use sqlx::PgConnection;

/// A hold to place: one track's revenue in one territory (or worldwide) from a month,
/// to a month or until released.
#[derive(Debug, Clone)]
pub struct NewHold {
    pub track_id: i64,
    pub territory: Territory,
    pub from: Month,
    pub to: Option<Month>,
    pub reason: String,
}

/// Places `hold` and moves the revenue it covers from allocated to held.
pub async fn place(
    tx: &mut PgConnection,
    hold: &NewHold,
    by: Option<i64>,
) -> Result<i64, AppError> {
    let reason = hold.reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid("Say why the revenue is held."));
    }
    if hold.to.is_some_and(|to| to < hold.from) {
        return Err(AppError::invalid("A hold cannot end before it starts."));
    }
    let id = sqlx::query_scalar!(
        r#"
        INSERT INTO revenue_holds (track_id, territory, from_month, to_month, reason, created_by)
        VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING id
        "#,
        hold.track_id,
        hold.territory.as_str(),
        hold.from.first_day() as _,
        hold.to.map(Month::first_day) as _,
        reason,
        by
    )
    .fetch_one(&mut *tx)
    .await?;
    ledger::allocate(tx, &Scope::Tracks(vec![hold.track_id])).await?;
    Ok(id)
}

/// Releases hold `id`: what it held is allocated as if it had never been held (unless
/// another open hold still covers it).
pub async fn release(
    tx: &mut PgConnection,
    id: i64,
    by: Option<i64>,
    note: &str,
) -> Result<(), AppError> {
    let track = sqlx::query_scalar!(
        r#"
        UPDATE revenue_holds SET released_at = now(), released_by = $2, release_note = $3
        WHERE id = $1 AND released_at IS NULL
        RETURNING track_id
        "#,
        id,
        by,
        note.trim()
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::invalid("That hold does not exist or was already released."))?;
    ledger::allocate(tx, &Scope::Tracks(vec![track])).await?;
    Ok(())
}
