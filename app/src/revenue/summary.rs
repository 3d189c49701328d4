//! The summaries dashboards read: `revenue_summary`, the ledger summed per accounting
//! month, track, platform, territory and usage type, and the view `payee_summary` over
//! it (each payee's share of the row's payee parts, by its contract's splits; migration
//! 10), and two roll-ups of it for pages that show many tracks at once: `label_summary`
//! (without the track) and `track_summary` (without platform, territory and usage type;
//! migration 12), with `track_totals` (`track_summary` without the month; migration 13).
//! Allocation calls `refresh` or `add` for what it just allocated, in its transaction,
//! so the summaries always say what the ledger says and pages never need the facts.

use crate::error::AppError;
use chrono::NaiveDate;
use sqlx::PgConnection;

/// Sums the ledger again for the tracks and months that `files` (only `tracks` of them,
/// when given) have lines for, and for the suspense of those months.
pub async fn refresh(
    tx: &mut PgConnection,
    files: &[i64],
    tracks: Option<&[i64]>,
) -> Result<(), AppError> {
    let keys = Keys::of(tx, files, tracks).await?;
    let (key_tracks, key_months) = (&keys.tracks, &keys.months);
    label_delta(tx, &keys, -1).await?;
    sqlx::query!(
        r#"
        DELETE FROM revenue_summary s
        USING UNNEST($1::bigint[], $2::date[]) AS k(track_id, month)
        WHERE coalesce(s.track_id, 0) = k.track_id AND s.accounting_month = k.month
        "#,
        key_tracks,
        key_months as _
    )
    .execute(&mut *tx)
    .await?;
    let written = sqlx::query!(
        r#"
        INSERT INTO revenue_summary
            (accounting_month, track_id, label_id, platform, territory, usage_type, units,
             label_currency, gross, net, held, reporting_gross, contract_id, payee_units,
             payee_earned, payee_held)
        WITH keys AS (
            SELECT DISTINCT track_id, month FROM UNNEST($1::bigint[], $2::date[]) AS k(track_id, month)
        ),
        -- One row per file and grain, from the ledger's rows rather than the parts the
        -- `allocations` view writes out (three times as many rows to group): a group's
        -- parts are products of its gross, and the splits of a contract sum to exactly
        -- 1 (a constraint trigger), so its parts sum to gross x rate and its payees' to
        -- gross x (1 - fee) x rate, exactly, with fewer trailing zeros. Measured on a
        -- month of 1M facts: 17 s -> 10 s, every row equal. Built-in aggregates only (a
        -- sum is "complete" when no part waits for a rate): custom SQL aggregates and
        -- functions run once per row, at ten times the cost.
        grains AS (
            SELECT l.accounting_month, l.track_id, l.label_id, l.platform, l.territory,
                   l.usage_type, l.report_file_id, l.currency, max(l.units) AS units,
                   max(l.label_currency) AS label_currency,
                   CASE WHEN bool_and(l.rate IS NOT NULL) FILTER (WHERE l.party IS NULL)
                             IS NOT FALSE
                        THEN coalesce(sum(l.gross * l.rate) FILTER (WHERE l.party IS NULL), 0)
                   END AS gross,
                   coalesce(sum(l.gross * (1 - l.fee) * l.rate)
                            FILTER (WHERE l.party IS NULL AND l.contract_id IS NOT NULL), 0)
                       AS net,
                   coalesce(sum(l.gross * l.rate) FILTER (WHERE l.state = 'held'), 0) AS held,
                   sum(l.gross) AS reported,
                   -- What was split to payees: payee_summary's shares of it.
                   bool_or(l.party IS NULL AND l.contract_id IS NOT NULL AND l.rate IS NOT NULL)
                       AS split,
                   max(l.contract_id) FILTER (WHERE l.party IS NULL AND l.rate IS NOT NULL)
                       AS contract_id,
                   sum(l.gross * (1 - l.fee) * l.rate) FILTER (WHERE l.party IS NULL
                       AND l.contract_id IS NOT NULL AND l.state = 'allocated') AS payee_earned,
                   sum(l.gross * (1 - l.fee) * l.rate) FILTER (WHERE l.party IS NULL
                       AND l.contract_id IS NOT NULL AND l.state = 'held') AS payee_held
            FROM (
                -- The keys' tracks and months are named to the view, so that they reach
                -- the facts' and terms' indexes (joined keys would not: the ledger is a
                -- grouped view, summed before any join), then their pairs are picked.
                SELECT l.* FROM ledger l
                JOIN keys k ON l.track_id = k.track_id AND l.accounting_month = k.month
                WHERE l.track_id = ANY($1) AND l.accounting_month = ANY($2)
                UNION ALL
                SELECT l.* FROM ledger l
                WHERE l.track_id IS NULL AND l.accounting_month = ANY($3)
            ) l
            -- The outer grouping's columns first: sorted once, grouped twice (see `add`).
            GROUP BY l.accounting_month, l.track_id, l.platform, l.territory, l.usage_type,
                     l.label_id, l.report_file_id, l.currency
        ),
        -- The reported amount in the reporting currency; NULL while its rate is missing.
        converted AS (
            -- A lookup rather than a join, which keeps the grains' order (a merge join
            -- on the month alone filtered 45M row pairs for a month of 1M grains).
            SELECT g.*, CASE WHEN g.currency = s.reporting_currency THEN g.reported
                             ELSE g.reported * (
                                 SELECT x.rate FROM exchange_rates x
                                 WHERE x.month = g.accounting_month
                                   AND x.from_currency = g.currency
                                   AND x.to_currency = s.reporting_currency)
                        END AS reporting_gross
            FROM grains g
            CROSS JOIN settings s
        )
        SELECT accounting_month, track_id, max(label_id), platform, territory, usage_type,
               sum(units)::bigint, max(label_currency),
               CASE WHEN max(label_currency) IS NOT NULL AND bool_and(gross IS NOT NULL)
                    THEN sum(gross) END,
               sum(net), sum(held),
               CASE WHEN bool_and(reporting_gross IS NOT NULL) THEN sum(reporting_gross) END,
               max(contract_id),
               (sum(units) FILTER (WHERE split))::bigint,
               CASE WHEN bool_or(split) THEN coalesce(sum(payee_earned), 0) END,
               CASE WHEN bool_or(split) THEN coalesce(sum(payee_held), 0) END
        FROM converted
        GROUP BY accounting_month, track_id, platform, territory, usage_type
        -- In the key index's order: see `add`.
        ORDER BY accounting_month, track_id, platform, territory, usage_type
        "#,
        key_tracks,
        key_months as _,
        &keys.suspense_months() as _
    )
    .execute(&mut *tx)
    .await?;
    roll_up(tx, &keys).await?;
    analyze_if_grown(tx, written.rows_affected()).await
}

/// Adds what `files` just put in the ledger to the summaries, when nothing of them was
/// summed before (their first allocation): the summaries' sums are sums, so the new
/// file's are added to them without reading any other file's ledger rows. A sum that
/// waits for a rate stays NULL whichever side it waits on, as in [`refresh`].
pub async fn add(tx: &mut PgConnection, files: &[i64]) -> Result<(), AppError> {
    let keys = Keys::of(tx, files, None).await?;
    // The rows the new files add to, as they were (none, for a month's first file).
    label_delta(tx, &keys, -1).await?;
    // Grouped by sorting, not hashing: a file's grains are as many groups as rows, and
    // a million numeric groups spilled a hash table of 500 MB to disk twice (a month of
    // 1M facts: 15.5 s grouping, 6.2 s so; make bench). Only for this statement.
    sqlx::query!("SET LOCAL enable_hashagg = off").execute(&mut *tx).await?;
    let written = sqlx::query!(
        r#"
        INSERT INTO revenue_summary AS s
            (accounting_month, track_id, label_id, platform, territory, usage_type, units,
             label_currency, gross, net, held, reporting_gross, contract_id, payee_units,
             payee_earned, payee_held)
        WITH grains AS (
            SELECT l.accounting_month, l.track_id, l.label_id, l.platform, l.territory,
                   l.usage_type, l.report_file_id, l.currency, max(l.units) AS units,
                   max(l.label_currency) AS label_currency,
                   CASE WHEN bool_and(l.rate IS NOT NULL) FILTER (WHERE l.party IS NULL)
                             IS NOT FALSE
                        THEN coalesce(sum(l.gross * l.rate) FILTER (WHERE l.party IS NULL), 0)
                   END AS gross,
                   coalesce(sum(l.gross * (1 - l.fee) * l.rate)
                            FILTER (WHERE l.party IS NULL AND l.contract_id IS NOT NULL), 0)
                       AS net,
                   coalesce(sum(l.gross * l.rate) FILTER (WHERE l.state = 'held'), 0) AS held,
                   sum(l.gross) AS reported,
                   -- What was split to payees: payee_summary's shares of it.
                   bool_or(l.party IS NULL AND l.contract_id IS NOT NULL AND l.rate IS NOT NULL)
                       AS split,
                   max(l.contract_id) FILTER (WHERE l.party IS NULL AND l.rate IS NOT NULL)
                       AS contract_id,
                   sum(l.gross * (1 - l.fee) * l.rate) FILTER (WHERE l.party IS NULL
                       AND l.contract_id IS NOT NULL AND l.state = 'allocated') AS payee_earned,
                   sum(l.gross * (1 - l.fee) * l.rate) FILTER (WHERE l.party IS NULL
                       AND l.contract_id IS NOT NULL AND l.state = 'held') AS payee_held
            -- The ledger's rows, as in `refresh`.
            FROM ledger l
            WHERE l.report_file_id = ANY($1)
            -- The outer grouping's columns first: sorted once, grouped twice (see `add`).
            GROUP BY l.accounting_month, l.track_id, l.platform, l.territory, l.usage_type,
                     l.label_id, l.report_file_id, l.currency
        ),
        converted AS (
            -- A lookup rather than a join, which keeps the grains' order (a merge join
            -- on the month alone filtered 45M row pairs for a month of 1M grains).
            SELECT g.*, CASE WHEN g.currency = s.reporting_currency THEN g.reported
                             ELSE g.reported * (
                                 SELECT x.rate FROM exchange_rates x
                                 WHERE x.month = g.accounting_month
                                   AND x.from_currency = g.currency
                                   AND x.to_currency = s.reporting_currency)
                        END AS reporting_gross
            FROM grains g
            CROSS JOIN settings s
        )
        SELECT accounting_month, track_id, max(label_id), platform, territory, usage_type,
               sum(units)::bigint, max(label_currency),
               CASE WHEN max(label_currency) IS NOT NULL AND bool_and(gross IS NOT NULL)
                    THEN sum(gross) END,
               sum(net), sum(held),
               CASE WHEN bool_and(reporting_gross IS NOT NULL) THEN sum(reporting_gross) END,
               max(contract_id),
               (sum(units) FILTER (WHERE split))::bigint,
               CASE WHEN bool_or(split) THEN coalesce(sum(payee_earned), 0) END,
               CASE WHEN bool_or(split) THEN coalesce(sum(payee_held), 0) END
        FROM converted
        GROUP BY accounting_month, track_id, platform, territory, usage_type
        -- In the key index's order (which the track index shares within a month): rows in
        -- hash order land all over the indexes, each landing reading a page back in (a
        -- million rows took 12 s so, 6.4 s sorted).
        ORDER BY accounting_month, track_id, platform, territory, usage_type
        ON CONFLICT (accounting_month, coalesce(track_id, 0), platform, territory, usage_type)
        DO UPDATE SET
            units = s.units + excluded.units,
            label_id = coalesce(s.label_id, excluded.label_id),
            label_currency = coalesce(s.label_currency, excluded.label_currency),
            gross = s.gross + excluded.gross,
            net = s.net + excluded.net,
            held = s.held + excluded.held,
            reporting_gross = s.reporting_gross + excluded.reporting_gross,
            -- One contract is in force per track and month: both sides name the same.
            contract_id = coalesce(s.contract_id, excluded.contract_id),
            payee_units = CASE WHEN coalesce(s.payee_units, excluded.payee_units) IS NOT NULL
                THEN coalesce(s.payee_units, 0) + coalesce(excluded.payee_units, 0) END,
            payee_earned = CASE WHEN coalesce(s.payee_units, excluded.payee_units) IS NOT NULL
                THEN coalesce(s.payee_earned, 0) + coalesce(excluded.payee_earned, 0) END,
            payee_held = CASE WHEN coalesce(s.payee_units, excluded.payee_units) IS NOT NULL
                THEN coalesce(s.payee_held, 0) + coalesce(excluded.payee_held, 0) END
        "#,
        files
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("SET LOCAL enable_hashagg TO DEFAULT").execute(&mut *tx).await?;
    roll_up(tx, &keys).await?;
    analyze_if_grown(tx, written.rows_affected()).await
}

/// Takes the summaries' statistics again after a large write (see
/// `ledger::analyze_if_grown`): pages read them right after.
async fn analyze_if_grown(tx: &mut PgConnection, written: u64) -> Result<(), AppError> {
    const SUMMARIES: [&str; 4] =
        ["revenue_summary", "track_summary", "track_totals", "label_summary"];
    super::ledger::analyze_if_grown(tx, &SUMMARIES, written).await
}

/// Summary keys: (track, month) pairs, track 0 for a month's suspense.
struct Keys {
    tracks: Vec<i64>,
    months: Vec<NaiveDate>,
}

impl Keys {
    /// The months whose suspense (track 0) is among the keys.
    fn suspense_months(&self) -> Vec<NaiveDate> {
        let pairs = self.tracks.iter().zip(&self.months);
        pairs.filter(|(track, _)| **track == 0).map(|(_, month)| *month).collect()
    }

    /// The tracks and months that `files` (only `tracks` of them, when given) have
    /// lines for, and but for chosen tracks the suspense of those months.
    async fn of(
        tx: &mut PgConnection,
        files: &[i64],
        tracks: Option<&[i64]>,
    ) -> Result<Keys, AppError> {
        let found = sqlx::query!(
            r#"
            SELECT DISTINCT track_id, accounting_month AS "month!: NaiveDate"
            FROM stream_facts
            WHERE report_file_id = ANY ($1) AND ($2::bigint[] IS NULL OR track_id = ANY ($2))
            "#,
            files,
            tracks as _
        )
        .fetch_all(&mut *tx)
        .await?;
        // A line matched after the fact leaves its month's suspense: sum that again too.
        let mut keys = Keys { tracks: Vec::new(), months: Vec::new() };
        for key in found {
            if key.track_id.is_some() || tracks.is_none() {
                keys.tracks.push(key.track_id.unwrap_or(0));
                keys.months.push(key.month);
            }
            if tracks.is_none() {
                keys.tracks.push(0);
                keys.months.push(key.month);
            }
        }
        Ok(keys)
    }
}

/// Rolls `revenue_summary` up again for `keys`, once their summary rows are written:
/// their tracks' months in `track_summary`, summed afresh (and `track_totals` changed by
/// the difference), and their rows added to `label_summary` (whose part of them
/// [`refresh`] and [`add`] took out before changing them; migrations 12 and 13).
async fn roll_up(tx: &mut PgConnection, keys: &Keys) -> Result<(), AppError> {
    totals_delta(tx, keys, -1).await?;
    sqlx::query!(
        r#"
        DELETE FROM track_summary s USING UNNEST($1::bigint[], $2::date[]) AS k(track_id, month)
        WHERE coalesce(s.track_id, 0) = k.track_id AND s.accounting_month = k.month
        "#,
        &keys.tracks,
        &keys.months as _
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        r#"
        INSERT INTO track_summary
            (accounting_month, track_id, label_id, release_id, units, gross, gross_units,
             gross_awaiting, net, held, reporting_gross, reporting_units, reporting_awaiting)
        WITH keys AS (
            SELECT DISTINCT track_id, month FROM UNNEST($1::bigint[], $2::date[]) AS k(track_id, month)
        )
        SELECT s.accounting_month, s.track_id, max(s.label_id),
               (SELECT t.release_id FROM tracks t WHERE t.id = s.track_id),
               sum(s.units)::bigint,
               coalesce(sum(s.gross), 0),
               coalesce(sum(s.units) FILTER (WHERE s.gross IS NOT NULL), 0)::bigint,
               count(*) FILTER (WHERE s.gross IS NULL), coalesce(sum(s.net), 0),
               coalesce(sum(s.held), 0), coalesce(sum(s.reporting_gross), 0),
               coalesce(sum(s.units) FILTER (WHERE s.reporting_gross IS NOT NULL), 0)::bigint,
               count(*) FILTER (WHERE s.reporting_gross IS NULL)
        FROM revenue_summary s
        JOIN keys k ON coalesce(s.track_id, 0) = k.track_id AND s.accounting_month = k.month
        GROUP BY s.accounting_month, s.track_id
        -- Each label's tracks together: a label's pages read them all.
        ORDER BY 3, 2
        "#,
        &keys.tracks,
        &keys.months as _
    )
    .execute(&mut *tx)
    .await?;
    totals_delta(tx, keys, 1).await?;
    label_delta(tx, keys, 1).await
}

/// Adds (`sign` 1) or takes out (-1) the `track_summary` months of `keys` to or from
/// `track_totals` (migration 13), as [`label_delta`] does for `label_summary`: a file's
/// tracks' months, not every month of theirs afresh. After adding, a track left with
/// no month is deleted.
async fn totals_delta(tx: &mut PgConnection, keys: &Keys, sign: i64) -> Result<(), AppError> {
    sqlx::query!(
        r#"
        INSERT INTO track_totals AS t
            (track_id, label_id, release_id, months, units, gross, gross_units, gross_awaiting,
             net, held, reporting_gross, reporting_units, reporting_awaiting)
        WITH keys AS (
            SELECT DISTINCT track_id, month FROM UNNEST($1::bigint[], $2::date[]) AS k(track_id, month)
        )
        SELECT s.track_id, s.label_id, max(s.release_id), $3 * count(*),
               $3 * sum(s.units)::bigint,
               $3 * sum(s.gross), $3 * sum(s.gross_units)::bigint,
               $3 * sum(s.gross_awaiting)::bigint, $3 * sum(s.net), $3 * sum(s.held),
               $3 * sum(s.reporting_gross), $3 * sum(s.reporting_units)::bigint,
               $3 * sum(s.reporting_awaiting)::bigint
        FROM track_summary s
        JOIN keys k ON coalesce(s.track_id, 0) = k.track_id AND s.accounting_month = k.month
        GROUP BY s.track_id, s.label_id
        ORDER BY 2, 1
        ON CONFLICT (coalesce(track_id, 0), coalesce(label_id, 0)) DO UPDATE SET
            release_id = coalesce(t.release_id, excluded.release_id),
            months = t.months + excluded.months,
            units = t.units + excluded.units,
            gross = t.gross + excluded.gross,
            gross_units = t.gross_units + excluded.gross_units,
            gross_awaiting = t.gross_awaiting + excluded.gross_awaiting,
            net = t.net + excluded.net,
            held = t.held + excluded.held,
            reporting_gross = t.reporting_gross + excluded.reporting_gross,
            reporting_units = t.reporting_units + excluded.reporting_units,
            reporting_awaiting = t.reporting_awaiting + excluded.reporting_awaiting
        "#,
        &keys.tracks,
        &keys.months as _,
        sign
    )
    .execute(&mut *tx)
    .await?;
    if sign > 0 {
        sqlx::query!(
            "DELETE FROM track_totals WHERE months = 0 AND coalesce(track_id, 0) = ANY ($1)",
            &keys.tracks
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Adds (`sign` 1) or takes out (-1) the summary rows of `keys` to or from
/// `label_summary`. Its sums and counts are all additive, so a few tracks' change costs
/// their rows, not their labels' months afresh: a conflict's held tracks span every
/// month they were reported in, and summing those months again read the whole summary
/// (1.3M rows, 1.7 s, for a file's detection).
async fn label_delta(tx: &mut PgConnection, keys: &Keys, sign: i64) -> Result<(), AppError> {
    sqlx::query!(
        r#"
        INSERT INTO label_summary AS l
            (accounting_month, label_id, platform, territory, usage_type, summary_rows, units,
             gross, gross_units, gross_awaiting, net, held, reporting_gross, reporting_units,
             reporting_awaiting)
        WITH keys AS (
            SELECT DISTINCT track_id, month FROM UNNEST($1::bigint[], $2::date[]) AS k(track_id, month)
        )
        SELECT s.accounting_month, s.label_id, s.platform, s.territory, s.usage_type,
               $3 * count(*), $3 * sum(s.units)::bigint, $3 * coalesce(sum(s.gross), 0),
               $3 * coalesce(sum(s.units) FILTER (WHERE s.gross IS NOT NULL), 0)::bigint,
               $3 * count(*) FILTER (WHERE s.gross IS NULL), $3 * coalesce(sum(s.net), 0),
               $3 * coalesce(sum(s.held), 0), $3 * coalesce(sum(s.reporting_gross), 0),
               $3 * coalesce(sum(s.units) FILTER (WHERE s.reporting_gross IS NOT NULL), 0)::bigint,
               $3 * count(*) FILTER (WHERE s.reporting_gross IS NULL)
        FROM revenue_summary s
        JOIN keys k ON coalesce(s.track_id, 0) = k.track_id AND s.accounting_month = k.month
        GROUP BY s.accounting_month, s.label_id, s.platform, s.territory, s.usage_type
        ORDER BY 2, 1
        ON CONFLICT (coalesce(label_id, 0), accounting_month, platform, territory, usage_type)
        DO UPDATE SET
            summary_rows = l.summary_rows + excluded.summary_rows,
            units = l.units + excluded.units,
            gross = l.gross + excluded.gross,
            gross_units = l.gross_units + excluded.gross_units,
            gross_awaiting = l.gross_awaiting + excluded.gross_awaiting,
            net = l.net + excluded.net,
            held = l.held + excluded.held,
            reporting_gross = l.reporting_gross + excluded.reporting_gross,
            reporting_units = l.reporting_units + excluded.reporting_units,
            reporting_awaiting = l.reporting_awaiting + excluded.reporting_awaiting
        "#,
        &keys.tracks,
        &keys.months as _,
        sign
    )
    .execute(&mut *tx)
    .await?;
    if sign < 0 {
        // A slice whose every row is gone is no slice (until its rows come back).
        sqlx::query!("DELETE FROM label_summary WHERE summary_rows = 0").execute(&mut *tx).await?;
    }
    Ok(())
}
