//! Refuses logins after repeated failures, per account and per address.
//!
//! Five failures for one email, or from one address, within 15 minutes lock that email
//! or address until the fifth most recent failure is 15 minutes old. A success for an
//! account clears its failures; nothing clears an address's (an attacker with one good
//! account must not be able to reset the counter for everyone else).

use crate::error::AppError;
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Postgres, Transaction};

pub const MAX_FAILURES: i32 = 5;
pub const WINDOW_MINUTES: i32 = 15;

/// Serializes login attempts for one email and for one address until `tx` ends. Always
/// the email first, then the address, so two attempts never wait on each other in a cycle.
pub async fn lock(
    tx: &mut Transaction<'_, Postgres>,
    email: &str,
    ip: &str,
) -> Result<(), AppError> {
    for key in [format!("login email {email}"), format!("login address {ip}")] {
        sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub async fn check(db: impl PgExecutor<'_>, email: &str, ip: &str) -> Result<(), AppError> {
    let row = sqlx::query!(
        r#"
        SELECT
          (SELECT at FROM login_attempts
            WHERE email = $1 AND NOT succeeded
              AND at > now() - make_interval(mins => $3::int)
              AND at > coalesce((SELECT max(at) FROM login_attempts WHERE email = $1 AND succeeded),
                                '-infinity')
            ORDER BY at DESC OFFSET $4 - 1 LIMIT 1) AS "account_locked_since: DateTime<Utc>",
          (SELECT at FROM login_attempts
            WHERE ip = $2 AND NOT succeeded AND at > now() - make_interval(mins => $3::int)
            ORDER BY at DESC OFFSET $4 - 1 LIMIT 1) AS "address_locked_since: DateTime<Utc>"
        "#,
        email,
        ip,
        WINDOW_MINUTES,
        MAX_FAILURES,
    )
    .fetch_one(db)
    .await?;
    match row.account_locked_since.max(row.address_locked_since) {
        None => Ok(()),
        Some(since) => Err(AppError::Throttled(locked_message(since, Utc::now()))),
    }
}

fn locked_message(locked_since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let unlock = locked_since + chrono::Duration::minutes(WINDOW_MINUTES.into());
    let minutes = ((unlock - now).num_seconds() + 59).div_euclid(60).max(1);
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    format!(
        "Too many failed login attempts. For your security, logging in is paused; try again in {minutes} {unit}."
    )
}

pub async fn record(
    db: impl PgExecutor<'_>,
    email: &str,
    ip: &str,
    succeeded: bool,
) -> Result<(), AppError> {
    sqlx::query!(
        "INSERT INTO login_attempts (email, ip, succeeded) VALUES ($1, $2, $3)",
        email,
        ip,
        succeeded
    )
    .execute(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_rounds_up_to_whole_minutes() {
        let now = Utc::now();
        let msg = locked_message(now - chrono::Duration::seconds(30), now);
        assert!(msg.contains("try again in 15 minutes"), "{msg}");
        let msg = locked_message(
            now - chrono::Duration::minutes(14) - chrono::Duration::seconds(30),
            now,
        );
        assert!(msg.contains("try again in 1 minute."), "{msg}");
    }
}
