//! The summaries dashboards read, kept by allocation in its transaction so that they
//! always say what the ledger says (migration 19):
//! - `track_totals`, a track's terms summed over every month (label pages' per-track
//!   tables without a period), changed by the sums of the terms allocation replaces;
//! - `track_months`, the same per month for labels' tracks (their tables over a period,
//!   their movers), changed alike;
//! - `label_summary`, the facts times their terms summed per report file, label, month,
//!   platform, territory and usage type (label and staff pages' totals, charts and
//!   breakdowns that need no track): a file allocated whole replaces its rows, a few
//!   tracks of it have theirs taken out and added back.
//!
//! The rest are views: `priced_terms` (each term's money: a track's month per platform
//! is its terms grouped) and `payee_summary` (an artist's payees' shares of their
//! facts). No
//! summary repeats the facts: writing a row per fact was most of allocation's time
//! (docs/benchmarking.md).

use crate::db::LocalSettings;
use crate::error::AppError;
use chrono::NaiveDate;
use sqlx::PgConnection;

/// Takes out of the summaries what the terms of `files` (only `tracks` of them, when
/// given) put in, before allocation replaces those terms. For a whole file its facts
/// may have changed since (lines matched, reversed), so its label rows are deleted, not
/// summed again; a few tracks' facts have not (holds and contracts change terms only).
pub async fn take_out(
    tx: &mut PgConnection,
    files: &[i64],
    tracks: Option<&[i64]>,
) -> Result<Emptied, AppError> {
    let emptied = Emptied {
        totals: totals_delta(tx, files, tracks, -1).await?,
        months: months_delta(tx, files, tracks, -1).await?,
    };
    match tracks {
        None => {
            sqlx::query!("DELETE FROM label_summary WHERE report_file_id = ANY($1)", files)
                .execute(&mut *tx)
                .await?;
        }
        Some(tracks) => {
            label_delta(tx, files, tracks, -1).await?;
            // A slice whose every line is gone is no slice (until its lines come back).
            sqlx::query!(
                "DELETE FROM label_summary WHERE report_file_id = ANY($1) AND lines = 0",
                files
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(emptied)
}

/// The roll-ups' rows that `take_out` left with no term, by their keys: deleted by
/// `put_back` unless it puts terms back in them. By their keys, not by an index of
/// emptied rows: an update of a row whose `terms` an index names is never HOT
/// (migrations 31 and 34).
pub struct Emptied {
    /// `track_totals`' track and label, 0 for none.
    totals: (Vec<i64>, Vec<i64>),
    /// `track_months`' label, month and track.
    months: (Vec<i64>, Vec<NaiveDate>, Vec<i64>),
}

/// Adds to the summaries what the new terms of `files` (only `tracks` of them) put in.
/// `written` is how many terms were written, for the statistics (see
/// `ledger::analyze_if_grown`).
pub async fn put_back(
    tx: &mut PgConnection,
    files: &[i64],
    tracks: Option<&[i64]>,
    written: u64,
    emptied: Emptied,
) -> Result<(), AppError> {
    totals_delta(tx, files, tracks, 1).await?;
    sqlx::query!(
        r#"
        DELETE FROM track_totals t
        USING UNNEST($1::bigint[], $2::bigint[]) AS e(track_id, label_id)
        WHERE coalesce(t.track_id, 0) = e.track_id AND coalesce(t.label_id, 0) = e.label_id
          AND t.terms = 0
        "#,
        &emptied.totals.0,
        &emptied.totals.1
    )
    .execute(&mut *tx)
    .await?;
    months_delta(tx, files, tracks, 1).await?;
    sqlx::query!(
        r#"
        DELETE FROM track_months m
        USING UNNEST($1::bigint[], $2::date[], $3::bigint[]) AS e(label_id, month, track_id)
        WHERE m.label_id = e.label_id AND m.accounting_month = e.month
          AND m.track_id = e.track_id AND m.terms = 0
        "#,
        &emptied.months.0,
        &emptied.months.1 as _,
        &emptied.months.2
    )
    .execute(&mut *tx)
    .await?;
    match tracks {
        None => label_add(tx, files).await?,
        Some(tracks) => label_delta(tx, files, tracks, 1).await?,
    }
    let tables = ["track_totals", "track_months", "label_summary"];
    super::ledger::analyze_if_grown(tx, &tables, written).await
}

/// Adds (`sign` 1) or takes out (-1) the sums of the terms of `files` (and `tracks`) to
/// or from `track_totals`. Returns the rows left with no term.
///
/// A month's file updates about a million of these rows. Their pages keep room to
/// spare and no index names a column that changes (migration 31), so each update is
/// HOT: written beside the old row, no index touched. Measured on the profile
/// database (10M-line month): 11.4-13.2 s -> 7.4 s.
async fn totals_delta(
    tx: &mut PgConnection,
    files: &[i64],
    tracks: Option<&[i64]>,
    sign: i64,
) -> Result<(Vec<i64>, Vec<i64>), AppError> {
    let emptied = sqlx::query!(
        r#"
        WITH changed AS (
        INSERT INTO track_totals AS t
            (track_id, label_id, release_id, terms, units, gross, gross_units, gross_awaiting,
             net, held, reporting_gross, reporting_units, reporting_awaiting)
        SELECT s.track_id, s.label_id, max(s.release_id), $3 * count(*),
               $3 * sum(s.units)::bigint,
               $3 * coalesce(sum(s.gross), 0),
               $3 * coalesce(sum(s.units) FILTER (WHERE s.gross IS NOT NULL), 0)::bigint,
               $3 * coalesce(sum(s.lines) FILTER (WHERE s.gross IS NULL), 0)::bigint,
               $3 * sum(s.net), $3 * sum(s.held), $3 * coalesce(sum(s.reporting_gross), 0),
               $3 * coalesce(sum(s.units) FILTER (WHERE s.reporting_gross IS NOT NULL), 0)::bigint,
               $3 * coalesce(sum(s.lines) FILTER (WHERE s.reporting_gross IS NULL), 0)::bigint
        FROM priced_terms s
        WHERE s.report_file_id = ANY($1) AND ($2::bigint[] IS NULL OR s.track_id = ANY($2))
        GROUP BY s.track_id, s.label_id
        -- Each label's tracks together, in the key's order.
        ORDER BY 2, 1
        ON CONFLICT (coalesce(track_id, 0), coalesce(label_id, 0)) DO UPDATE SET
            release_id = coalesce(t.release_id, excluded.release_id),
            terms = t.terms + excluded.terms,
            units = t.units + excluded.units,
            gross = t.gross + excluded.gross,
            gross_units = t.gross_units + excluded.gross_units,
            gross_awaiting = t.gross_awaiting + excluded.gross_awaiting,
            net = t.net + excluded.net,
            held = t.held + excluded.held,
            reporting_gross = t.reporting_gross + excluded.reporting_gross,
            reporting_units = t.reporting_units + excluded.reporting_units,
            reporting_awaiting = t.reporting_awaiting + excluded.reporting_awaiting
        RETURNING t.track_id, t.label_id, t.terms
        )
        SELECT coalesce(track_id, 0) AS "track_id!", coalesce(label_id, 0) AS "label_id!"
        FROM changed WHERE terms = 0
        "#,
        files,
        tracks as _,
        sign
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(emptied.into_iter().map(|e| (e.track_id, e.label_id)).unzip())
}

/// Adds (`sign` 1) or takes out (-1) the sums of the terms of `files` (and `tracks`) to
/// or from `track_months`, per label, month and track, as `totals_delta` does over every
/// month. Returns the rows left with no term. Updated in place as `track_totals` is
/// (migration 34): every file of a month after its first adds to its rows.
async fn months_delta(
    tx: &mut PgConnection,
    files: &[i64],
    tracks: Option<&[i64]>,
    sign: i64,
) -> Result<(Vec<i64>, Vec<NaiveDate>, Vec<i64>), AppError> {
    // Grouped by sorting, whose order is the key's, as the insert wants it: the planner
    // hashed the month's million groups and then sorted them again. The 10M-line
    // month's upsert 13.9-15.0 -> 9.6-9.7 s (profile database). `totals_delta` sorts
    // without being told.
    let sorted = LocalSettings::set(tx, &[("enable_hashagg", "off")]).await?;
    let emptied = sqlx::query!(
        r#"
        WITH changed AS (
        INSERT INTO track_months AS m
            (label_id, accounting_month, track_id, release_id, terms, units, gross,
             gross_units, gross_awaiting, net, held)
        SELECT s.label_id, s.accounting_month, s.track_id, max(s.release_id), $3 * count(*),
               $3 * sum(s.units)::bigint,
               $3 * coalesce(sum(s.gross), 0),
               $3 * coalesce(sum(s.units) FILTER (WHERE s.gross IS NOT NULL), 0)::bigint,
               $3 * coalesce(sum(s.lines) FILTER (WHERE s.gross IS NULL), 0)::bigint,
               $3 * sum(s.net), $3 * sum(s.held)
        FROM priced_terms s
        WHERE s.report_file_id = ANY($1) AND ($2::bigint[] IS NULL OR s.track_id = ANY($2))
          AND s.label_id IS NOT NULL AND s.track_id IS NOT NULL
        GROUP BY s.label_id, s.accounting_month, s.track_id
        -- In the key's order.
        ORDER BY 1, 2, 3
        ON CONFLICT (label_id, accounting_month, track_id) DO UPDATE SET
            release_id = coalesce(m.release_id, excluded.release_id),
            terms = m.terms + excluded.terms,
            units = m.units + excluded.units,
            gross = m.gross + excluded.gross,
            gross_units = m.gross_units + excluded.gross_units,
            gross_awaiting = m.gross_awaiting + excluded.gross_awaiting,
            net = m.net + excluded.net,
            held = m.held + excluded.held
        RETURNING m.label_id, m.accounting_month, m.track_id, m.terms
        )
        SELECT label_id AS "label_id!", accounting_month AS "month!: NaiveDate",
               track_id AS "track_id!"
        FROM changed WHERE terms = 0
        "#,
        files,
        tracks as _,
        sign
    )
    .fetch_all(&mut *tx)
    .await?;
    sorted.restore(tx).await?;
    let mut keys = (Vec::new(), Vec::new(), Vec::new());
    for e in emptied {
        keys.0.push(e.label_id);
        keys.1.push(e.month);
        keys.2.push(e.track_id);
    }
    Ok(keys)
}

/// Sums the facts of `files` times their terms into `label_summary`, one pass. The
/// facts are grouped first by their slice and the terms' factors (a label's few fees,
/// rates and shares), so that the money is multiplied out once per group rather than
/// once per fact: a month of 1M facts in 1.4 s instead of 2.9 s (make bench's profile).
///
/// Summed by a SELECT with parallel workers, then written: as an INSERT ... SELECT,
/// which Postgres 15 never runs in parallel, a month of 10M facts took 13.9-14.2 s,
/// summed with two workers 9.7-10.1 s (profile database). A file's rows are a few
/// thousand; they travel as JSON, whose numbers Postgres reads back as the exact
/// numerics it wrote.
async fn label_add(tx: &mut PgConnection, files: &[i64]) -> Result<(), AppError> {
    // A file's slices are a few hundred groups: hashed, never sorted (the join's
    // estimate of its rows is far too low for the planner to see that).
    let [workers, cost] = crate::db::PARALLEL_WORKERS;
    let settings = LocalSettings::set(tx, &[("enable_sort", "off"), workers, cost]).await?;
    let rows = sqlx::query_scalar!(
        r#"
        WITH grouped AS (
            SELECT report_file_id, accounting_month, label_id, platform, territory, usage_type,
                   label_currency, ours, rate, fee, state, reporting_rate,
                   count(*) AS lines, sum(units) AS units, sum(gross) AS gross
            FROM fact_terms
            -- Both: the facts' filter does not reach their terms (migration 32).
            WHERE report_file_id = ANY($1) AND terms_file_id = ANY($1)
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
        ),
        priced AS (
            SELECT g.*,
                   CASE WHEN label_currency IS NULL THEN NULL WHEN ours = 0 THEN 0
                        ELSE gross * ours * rate END AS label_gross,
                   coalesce(gross * ours * (1 - fee) * rate, 0) AS net,
                   CASE WHEN state = 'held' THEN coalesce(gross * ours * rate, 0) ELSE 0 END
                       AS held,
                   gross * reporting_rate AS reporting_gross
            FROM grouped g
        )
        -- Named as label_summary's columns, which `jsonb_populate_recordset` reads.
        SELECT coalesce(json_agg(s), '[]')::text AS "rows!" FROM (
            SELECT report_file_id, accounting_month, label_id, platform, territory, usage_type,
                   sum(lines) AS lines, sum(units)::bigint AS units,
                   coalesce(sum(label_gross), 0) AS gross,
                   coalesce(sum(units) FILTER (WHERE label_gross IS NOT NULL), 0)::bigint
                       AS gross_units,
                   coalesce(sum(lines) FILTER (WHERE label_gross IS NULL), 0)::bigint
                       AS gross_awaiting,
                   sum(net) AS net, sum(held) AS held,
                   coalesce(sum(reporting_gross), 0) AS reporting_gross,
                   coalesce(sum(units) FILTER (WHERE reporting_gross IS NOT NULL), 0)::bigint
                       AS reporting_units,
                   coalesce(sum(lines) FILTER (WHERE reporting_gross IS NULL), 0)::bigint
                       AS reporting_awaiting
            FROM priced
            GROUP BY 1, 2, 3, 4, 5, 6
        ) s
        "#,
        files
    )
    .fetch_one(&mut *tx)
    .await?;
    settings.restore(tx).await?;
    sqlx::query!(
        "INSERT INTO label_summary
         SELECT * FROM jsonb_populate_recordset(NULL::label_summary, $1::text::jsonb)",
        rows
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Adds (`sign` 1) or takes out (-1) the facts of `tracks` in `files` times their terms
/// to or from `label_summary`: a few tracks' change costs their facts, not their files'.
async fn label_delta(
    tx: &mut PgConnection,
    files: &[i64],
    tracks: &[i64],
    sign: i64,
) -> Result<(), AppError> {
    sqlx::query!(
        r#"
        INSERT INTO label_summary AS l
            (report_file_id, accounting_month, label_id, platform, territory, usage_type, lines,
             units, gross, gross_units, gross_awaiting, net, held, reporting_gross,
             reporting_units, reporting_awaiting)
        SELECT report_file_id, accounting_month, label_id, platform, territory, usage_type,
               $3 * count(*), $3 * sum(units)::bigint, $3 * coalesce(sum(label_gross), 0),
               $3 * coalesce(sum(units) FILTER (WHERE label_gross IS NOT NULL), 0)::bigint,
               $3 * count(*) FILTER (WHERE label_gross IS NULL),
               $3 * sum(net), $3 * sum(held), $3 * coalesce(sum(reporting_gross), 0),
               $3 * coalesce(sum(units) FILTER (WHERE reporting_gross IS NOT NULL), 0)::bigint,
               $3 * count(*) FILTER (WHERE reporting_gross IS NULL)
        FROM priced_facts
        -- The terms' too: the facts' filters do not reach them (migration 33).
        WHERE report_file_id = ANY($1) AND track_id = ANY($2)
          AND terms_file_id = ANY($1) AND terms_track_id = ANY($2)
        GROUP BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (report_file_id, coalesce(label_id, 0), accounting_month, platform,
                     territory, usage_type)
        DO UPDATE SET
            lines = l.lines + excluded.lines,
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
        files,
        tracks,
        sign
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}
