//! Terms: what allocation decides for a file's facts, per track, month and currency
//! (and per territory where a hold or a settled share names one), without repeating it
//! for every fact group as the ledger does (migration 17). A fact's parts are its gross
//! times its terms: ours is `gross x ours`, the other party's `gross x (1 - ours)`, and
//! ours splits as the ledger's does (fee, then the payees' shares, times the rate).
//!
//! Each term also carries its facts' sums (lines, units, gross), its file's platform,
//! its track's release and the rate into the reporting currency (migration 19): a
//! track's money per month is its terms priced (`priced_terms`), with no fact read.
//!
//! Written by [`super::ledger::allocate`]; the `ledger` view is the facts times these
//! (migration 18), and what the summaries are summed from.

use crate::db::LocalSettings;
use crate::error::AppError;
use sqlx::PgConnection;

/// Writes the terms of `files` (only `tracks` of them, when given) afresh, in the
/// caller's transaction, from the contracts, rates and holds in force now, each with
/// its facts' sums. Returns the terms written.
pub async fn write(
    tx: &mut PgConnection,
    files: &[i64],
    tracks: Option<&[i64]>,
) -> Result<u64, AppError> {
    sqlx::query!(
        "DELETE FROM terms
         WHERE report_file_id = ANY($1) AND ($2::bigint[] IS NULL OR track_id = ANY($2))",
        files,
        tracks as _
    )
    .execute(&mut *tx)
    .await?;
    // A month's file has a million keys: in allocation's 256 MB, their grouping and the
    // `keys` the statement reads twice went to disk (300 MB written and read back). In
    // 1 GB they do not: the 10M-line month's terms 26.6-27.7 -> 24.4-24.5 s (profile
    // database). Not for the roll-ups, whose groupings were slower in memory so large.
    let memory = LocalSettings::set(tx, &[("work_mem", "1GB")]).await?;
    let written = sqlx::query!(
        r#"
        INSERT INTO terms
            (report_file_id, accounting_month, track_id, currency, territory, exceptions,
             state, hold_reason, contract_id, fee, label_id, label_currency, rate, ours,
             other_party, platform, release_id, lines, units, gross, reporting_rate)
        -- The facts' keys with their sums. A reversed file (every line cancelled by
        -- its reversal) is under no terms: its lines are in no view of the ledger.
        WITH keys AS (
            SELECT report_file_id, accounting_month, track_id, currency, count(*) AS lines,
                   sum(units) AS units, sum(gross) AS gross
            FROM stream_facts
            WHERE report_file_id = ANY($1) AND ($2::bigint[] IS NULL OR track_id = ANY($2))
            GROUP BY report_file_id, accounting_month, track_id, currency
            HAVING NOT bool_or(reversal)
        ),
        -- The territories whose revenue a hold treats apart from the rest: open holds,
        -- and settled ones that gave another party a share.
        named AS (
            SELECT k.report_file_id, k.accounting_month, k.track_id, k.currency, h.territory
            FROM keys k
            JOIN revenue_holds h ON h.track_id = k.track_id AND h.territory <> 'WW'
             AND h.from_month <= k.accounting_month
             AND (h.to_month IS NULL OR h.to_month >= k.accounting_month)
             AND (h.released_at IS NULL OR h.our_share < 1)
            GROUP BY 1, 2, 3, 4, 5
        ),
        -- Their facts' sums (few: the facts of held tracks in those territories), each
        -- looked up by the facts' track index. As a join, Postgres hashed every month's
        -- facts to find them: 1.7 s of a 100,000-line file's 4 s with three months
        -- loaded before it, and growing with every month.
        named_sums AS (
            SELECT n.report_file_id, n.accounting_month, n.track_id, n.currency, n.territory,
                   s.lines, s.units, s.gross
            FROM named n
            CROSS JOIN LATERAL (
                SELECT count(*) AS lines, coalesce(sum(f.units), 0) AS units,
                       coalesce(sum(f.gross), 0) AS gross
                FROM stream_facts f
                WHERE f.track_id = n.track_id AND f.report_file_id = n.report_file_id
                  AND f.territory = n.territory AND f.accounting_month = n.accounting_month
                  AND f.currency = n.currency
            ) s
        ),
        exceptions AS (
            SELECT report_file_id, accounting_month, track_id, currency,
                   array_agg(territory ORDER BY territory) AS exceptions, sum(lines) AS lines,
                   sum(units) AS units, sum(gross) AS gross
            FROM named_sums
            GROUP BY 1, 2, 3, 4
        ),
        -- Each key's row for the rest of the world (its sums less its named
        -- territories'), and one per named territory.
        subjects AS (
            SELECT k.report_file_id, k.accounting_month, k.track_id, k.currency,
                   NULL::char(2) AS territory, e.exceptions,
                   k.lines - coalesce(e.lines, 0) AS lines,
                   k.units - coalesce(e.units, 0) AS units,
                   k.gross - coalesce(e.gross, 0) AS gross
            FROM keys k
            LEFT JOIN exceptions e USING (report_file_id, accounting_month, track_id, currency)
            UNION ALL
            SELECT n.report_file_id, n.accounting_month, n.track_id, n.currency, n.territory,
                   NULL, n.lines, n.units, n.gross
            FROM named_sums n
        ),
        -- The states of `ledger`'s module docs; a subject without a territory sees only
        -- worldwide holds.
        placed AS (
            SELECT g.*, r.label_id, l.accounting_currency AS label_currency, t.release_id,
                   CASE WHEN g.currency = st.reporting_currency THEN 1 ELSE xr.rate END
                       AS reporting_rate,
                   coalesce(tc.id, rc.id) AS contract_id,
                   CASE WHEN tc.id IS NOT NULL THEN tc.distribution_fee
                        ELSE rc.distribution_fee END AS fee,
                   s.our_share AS settled_share, s.other_party,
                   CASE WHEN g.currency = l.accounting_currency THEN 1 ELSE x.rate END AS rate,
                   CASE
                     WHEN g.track_id IS NULL THEN NULL
                     WHEN EXISTS (
                         SELECT 1 FROM revenue_holds h
                         WHERE h.track_id = g.track_id AND h.released_at IS NULL
                           AND (h.territory = 'WW' OR h.territory = g.territory)
                           AND h.from_month <= g.accounting_month
                           AND (h.to_month IS NULL OR h.to_month >= g.accounting_month))
                       THEN 'conflict'
                     WHEN tc.id IS NULL AND rc.id IS NULL THEN 'no_contract'
                     WHEN g.currency <> l.accounting_currency AND x.rate IS NULL
                       THEN 'missing_rate'
                   END AS hold_reason
            FROM subjects g
            CROSS JOIN settings st
            LEFT JOIN exchange_rates xr
              ON xr.month = g.accounting_month AND xr.from_currency = g.currency
             AND xr.to_currency = st.reporting_currency
            LEFT JOIN tracks t ON t.id = g.track_id
            LEFT JOIN releases r ON r.id = t.release_id
            LEFT JOIN labels l ON l.id = r.label_id
            LEFT JOIN exchange_rates x
              ON x.month = g.accounting_month AND x.from_currency = g.currency
             AND x.to_currency = l.accounting_currency
            -- A track's own contract overrides its release's. A subject's contracts never
            -- overlap in time (exclusion constraints), so each join finds at most one:
            -- plain joins, which Postgres hashes, not a lookup per subject.
            LEFT JOIN contracts tc
              ON tc.track_id = g.track_id AND tc.valid_from <= g.accounting_month
             AND (tc.valid_to IS NULL OR tc.valid_to >= g.accounting_month)
            LEFT JOIN contracts rc
              ON rc.release_id = t.release_id AND rc.valid_from <= g.accounting_month
             AND (rc.valid_to IS NULL OR rc.valid_to >= g.accounting_month)
            -- A decided conflict gave part of this revenue to another party.
            LEFT JOIN LATERAL (
                SELECT h.our_share, h.other_party FROM revenue_holds h
                WHERE h.track_id = g.track_id AND h.our_share < 1
                  AND (h.territory = 'WW' OR h.territory = g.territory)
                  AND h.from_month <= g.accounting_month
                  AND (h.to_month IS NULL OR h.to_month >= g.accounting_month)
                ORDER BY h.released_at DESC
                LIMIT 1
            ) s ON true
            -- Not folded into the statements below, which name hold_reason three times:
            -- folded, each would look at the holds again.
            OFFSET 0
        ),
        shared AS (
            SELECT p.*,
                   CASE WHEN p.hold_reason = 'conflict' THEN 1
                        ELSE coalesce(p.settled_share, 1) END AS ours
            FROM placed p
        )
        SELECT p.report_file_id, p.accounting_month, p.track_id, p.currency, p.territory,
               p.exceptions,
               CASE WHEN p.track_id IS NULL THEN 'suspense'
                    WHEN p.hold_reason IS NOT NULL THEN 'held'
                    ELSE 'allocated' END,
               p.hold_reason, p.contract_id, p.fee, p.label_id, p.label_currency, p.rate, p.ours,
               CASE WHEN p.ours < 1 THEN p.other_party END, f.platform, p.release_id, p.lines,
               p.units, p.gross, p.reporting_rate
        -- Joined last: joined to the subjects first, its three rows made Postgres expect
        -- 477 subjects rather than 68,218 and look each one's track up by index.
        FROM shared p
        JOIN report_files f ON f.id = p.report_file_id
        -- Written a label at a time: the dashboards read a label's terms (its movers,
        -- its tables over a period), which written in track order lay scattered among
        -- every other label's (a label's two months, 17,600 terms, in 2,681 blocks of
        -- a million-track catalog's terms; make bench). On the profile database the
        -- same read takes 664 blocks rather than 1,861.
        ORDER BY p.label_id, p.track_id, p.accounting_month
        "#,
        files,
        tracks as _
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    memory.restore(tx).await?;
    // The summaries read the ledger, so these, next, in this transaction.
    super::ledger::analyze_if_grown(tx, &["terms"], written).await?;
    Ok(written)
}
