//! Exchange rates as staff see them, and the ones missing.

use super::{MissingRate, RateRow, Rates};
use crate::error::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

/// Months are shown newest first; this many rates at most.
const SHOWN: i64 = 500;

pub async fn rates(pool: &PgPool) -> Result<Rates, AppError> {
    let rates = sqlx::query!(
        r#"
        SELECT month AS "month: NaiveDate", from_currency, to_currency, rate::text AS "rate!",
               source, updated_at AS "updated_at: DateTime<Utc>"
        FROM exchange_rates
        ORDER BY month DESC, from_currency, to_currency
        LIMIT $1
        "#,
        SHOWN
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| RateRow {
        month: r.month.format("%Y-%m").to_string(),
        from: r.from_currency,
        to: r.to_currency,
        rate: r.rate,
        source: r.source,
        updated_at: r.updated_at,
    })
    .collect();
    Ok(Rates { rates, missing: missing(pool).await? })
}

/// Rates revenue will need: from each currency reported in a loaded file's month into
/// every label's accounting currency and USD. Read from the files' totals, not the
/// facts, so the page stays quick however many facts there are.
async fn missing(pool: &PgPool) -> Result<Vec<MissingRate>, AppError> {
    let rows = sqlx::query!(
        r#"
        WITH needed AS (
            SELECT DISTINCT f.accounting_month AS month, t.currency AS from_currency,
                   c.currency AS to_currency
            FROM report_files f
            JOIN report_file_totals t ON t.report_file_id = f.id
            CROSS JOIN (SELECT accounting_currency AS currency FROM labels
                        UNION SELECT 'USD') c
            WHERE f.status = 'loaded' AND t.currency <> c.currency
        )
        SELECT n.month AS "month!: NaiveDate", n.from_currency AS "from!", n.to_currency AS "to!"
        FROM needed n
        LEFT JOIN exchange_rates r
          ON r.month = n.month AND r.from_currency = n.from_currency
         AND r.to_currency = n.to_currency
        WHERE r.month IS NULL
        ORDER BY n.month DESC, n.from_currency, n.to_currency
        LIMIT $1
        "#,
        SHOWN
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MissingRate {
            month: r.month.format("%Y-%m").to_string(),
            from: r.from.trim().to_string(),
            to: r.to.trim().to_string(),
        })
        .collect())
}
