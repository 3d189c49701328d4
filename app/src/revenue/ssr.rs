//! Exchange rates as staff see them, and the ones missing.

use super::{Lineage, LineageFile, MissingRate, PerStream, RateRow, Rates};
use crate::domain::{Month, Platform, Territory, UsageType};
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

/// The lines shown per file in a lineage; the count says how many there are.
const LINES_SHOWN: usize = 500;

pub async fn lineage(
    pool: &PgPool,
    track_id: i64,
    platform: Platform,
    territory: Territory,
    month: Month,
) -> Result<Lineage, AppError> {
    let track = sqlx::query!("SELECT title, isrc FROM tracks WHERE id = $1", track_id)
        .fetch_optional(pool)
        .await?
        .ok_or(AppError::NotFound)?;
    let files = sqlx::query!(
        r#"
        SELECT f.report_file_id AS "id!", r.file_name, r.status, f.currency,
               array_agg(f.line_number ORDER BY f.line_number) FILTER (WHERE NOT f.reversal)
                   AS "lines!: Vec<i64>",
               count(*) FILTER (WHERE f.reversal) AS "reversed!",
               sum(f.units)::bigint AS "units!", sum(f.gross)::text AS "gross!"
        FROM stream_facts f JOIN report_files r ON r.id = f.report_file_id
        WHERE f.track_id = $1 AND f.platform = $2 AND f.territory = $3
          AND f.accounting_month = $4
        GROUP BY f.report_file_id, r.file_name, r.status, f.currency
        ORDER BY f.report_file_id
        "#,
        track_id,
        platform.code(),
        territory.as_str(),
        month.first_day() as _
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|f| LineageFile {
        id: f.id,
        name: f.file_name,
        status: f.status,
        currency: f.currency.trim().to_string(),
        line_count: f.lines.len() as i64,
        lines: f.lines.into_iter().take(LINES_SHOWN).collect(),
        reversed: f.reversed,
        units: f.units,
        gross: f.gross,
    })
    .collect();
    let per_stream = per_stream(pool, track_id, platform, territory, month).await?;
    Ok(Lineage {
        track: track.title,
        isrc: track.isrc,
        platform: platform.name().to_string(),
        territory: territory.as_str().to_string(),
        month: month.to_string(),
        files,
        per_stream,
    })
}

/// Per-stream revenue (gross / units, where units are positive) per usage type and
/// currency, net of reversals, said as people read it.
async fn per_stream(
    pool: &PgPool,
    track_id: i64,
    platform: Platform,
    territory: Territory,
    month: Month,
) -> Result<Vec<PerStream>, AppError> {
    let rows = sqlx::query!(
        r#"
        SELECT usage_type, currency, sum(units)::bigint AS "units!", sum(gross)::text AS "gross!",
               CASE WHEN sum(units) > 0 THEN round(sum(gross) / sum(units), 6)::text END
                   AS per_unit
        FROM stream_facts
        WHERE track_id = $1 AND platform = $2 AND territory = $3 AND accounting_month = $4
        GROUP BY usage_type, currency
        ORDER BY usage_type, currency
        "#,
        track_id,
        platform.code(),
        territory.as_str(),
        month.first_day() as _
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let usage = r.usage_type.parse::<UsageType>().map(UsageType::label).unwrap_or("other");
            let currency = r.currency.trim().to_string();
            let said = match &r.per_unit {
                Some(rate) => format!(
                    "{rate} {currency} per stream, {} {usage}, {}, {month}",
                    platform.name(),
                    territory.as_str()
                ),
                None => "no net streams to divide by".to_string(),
            };
            PerStream { usage: usage.to_string(), units: r.units, gross: r.gross, currency, said }
        })
        .collect())
}
