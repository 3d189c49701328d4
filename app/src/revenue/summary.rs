//! The summaries dashboards read (`revenue_summary`, `payee_summary`): the ledger summed
//! per accounting month, track, platform, territory and usage type. Allocation calls
//! `refresh` for what it just allocated, in its transaction, so the summaries always
//! say what the ledger says and pages never need the facts.

use crate::error::AppError;
use sqlx::PgConnection;

/// Sums the ledger again for the tracks and months that `files` (only `tracks` of them,
/// when given) have lines for, and for the suspense of those months.
pub async fn refresh(
    tx: &mut PgConnection,
    files: &[i64],
    tracks: Option<&[i64]>,
) -> Result<(), AppError> {
    let keys = sqlx::query!(
        r#"
        SELECT DISTINCT track_id, accounting_month AS "month!"
        FROM stream_facts
        WHERE report_file_id = ANY ($1) AND ($2::bigint[] IS NULL OR track_id = ANY ($2))
        "#,
        files,
        tracks as _
    )
    .fetch_all(&mut *tx)
    .await?;
    // A line matched after the fact leaves its month's suspense: sum that again too.
    let (mut key_tracks, mut key_months) = (Vec::new(), Vec::new());
    for key in keys {
        if key.track_id.is_some() || tracks.is_none() {
            key_tracks.push(key.track_id.unwrap_or(0));
            key_months.push(key.month);
        }
        if tracks.is_none() {
            key_tracks.push(0);
            key_months.push(key.month);
        }
    }
    sqlx::query!(
        r#"
        DELETE FROM revenue_summary s
        USING UNNEST($1::bigint[], $2::date[]) AS k(track_id, month)
        WHERE coalesce(s.track_id, 0) = k.track_id AND s.accounting_month = k.month
        "#,
        &key_tracks,
        &key_months as _
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        r#"
        DELETE FROM payee_summary s
        USING UNNEST($1::bigint[], $2::date[]) AS k(track_id, month)
        WHERE s.track_id = k.track_id AND s.accounting_month = k.month
        "#,
        &key_tracks,
        &key_months as _
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        r#"
        INSERT INTO revenue_summary
            (accounting_month, track_id, label_id, platform, territory, usage_type, units,
             label_currency, gross, net, held, reporting_gross)
        WITH keys AS (
            SELECT DISTINCT track_id, month FROM UNNEST($1::bigint[], $2::date[]) AS k(track_id, month)
        ),
        -- One row per file and grain: units repeat on every part of a grain.
        grains AS (
            SELECT a.accounting_month, a.track_id, a.label_id, a.platform, a.territory,
                   a.usage_type, a.report_file_id, a.currency, max(a.units) AS units,
                   max(a.label_currency) AS label_currency,
                   complete_sum(a.amount) FILTER (WHERE a.beneficiary <> 'other_party') AS gross,
                   coalesce(sum(a.amount) FILTER (WHERE a.beneficiary = 'payee'), 0) AS net,
                   coalesce(sum(a.amount) FILTER (WHERE a.state = 'held'), 0) AS held,
                   to_reporting(sum(a.gross), a.currency, a.accounting_month) AS reporting_gross
            FROM (
                SELECT a.* FROM allocations a
                JOIN keys k ON a.track_id = k.track_id AND a.accounting_month = k.month
                UNION ALL
                SELECT a.* FROM allocations a
                JOIN keys k ON k.track_id = 0 AND a.track_id IS NULL AND a.accounting_month = k.month
            ) a
            GROUP BY a.accounting_month, a.track_id, a.label_id, a.platform, a.territory,
                     a.usage_type, a.report_file_id, a.currency
        )
        SELECT accounting_month, track_id, max(label_id), platform, territory, usage_type,
               sum(units)::bigint, max(label_currency),
               CASE WHEN max(label_currency) IS NOT NULL THEN complete_sum(gross) END,
               sum(net), sum(held), complete_sum(reporting_gross)
        FROM grains
        GROUP BY accounting_month, track_id, platform, territory, usage_type
        "#,
        &key_tracks,
        &key_months as _
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        r#"
        INSERT INTO payee_summary
            (accounting_month, payee_id, track_id, platform, territory, usage_type, units,
             currency, earnings, held)
        WITH keys AS (
            SELECT DISTINCT track_id, month FROM UNNEST($1::bigint[], $2::date[]) AS k(track_id, month)
        ),
        grains AS (
            SELECT a.accounting_month, a.payee_id, a.track_id, a.platform, a.territory,
                   a.usage_type, a.report_file_id, a.currency, max(a.units) AS units,
                   max(a.label_currency) AS label_currency,
                   sum(a.amount) FILTER (WHERE a.state = 'allocated') AS earnings,
                   sum(a.amount) FILTER (WHERE a.state = 'held') AS held
            FROM allocations a
            JOIN keys k ON a.track_id = k.track_id AND a.accounting_month = k.month
            WHERE a.payee_id IS NOT NULL
            GROUP BY a.accounting_month, a.payee_id, a.track_id, a.platform, a.territory,
                     a.usage_type, a.report_file_id, a.currency
        )
        SELECT accounting_month, payee_id, track_id, platform, territory, usage_type,
               sum(units)::bigint, max(label_currency), coalesce(sum(earnings), 0),
               coalesce(sum(held), 0)
        FROM grains
        GROUP BY accounting_month, payee_id, track_id, platform, territory, usage_type
        "#,
        &key_tracks,
        &key_months as _
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}
