-- The ledger becomes what it always was: the facts times their terms (migration 17),
-- summed per fact group. Allocation no longer writes a row per fact group (most of its
-- time: docs/benchmarking.md, "Allocation: why the grain must change"), only the
-- terms; the `ledger` view has the columns and rows the table had, and `allocations`
-- and `conflict_held` read it as before.

-- Terms for what was allocated before migration 17 and not since: the same placing as
-- app/src/revenue/terms.rs, over every key of the ledger that has no terms yet.
-- Allocation follows every change of contracts, holds and rates at once, so placing
-- them now decides what was decided then; the comparison below proves it.
INSERT INTO terms
    (report_file_id, accounting_month, track_id, currency, territory, exceptions,
     state, hold_reason, contract_id, fee, label_id, label_currency, rate, ours,
     other_party)
WITH keys AS (
    SELECT DISTINCT l.report_file_id, l.accounting_month, l.track_id, l.currency
    FROM ledger l
    WHERE NOT EXISTS (
        SELECT 1 FROM terms t
        WHERE t.report_file_id = l.report_file_id
          AND coalesce(t.track_id, 0) = coalesce(l.track_id, 0)
          AND t.accounting_month = l.accounting_month AND t.currency = l.currency)
),
named AS (
    SELECT k.report_file_id, k.accounting_month, k.track_id, k.currency, h.territory
    FROM keys k
    JOIN revenue_holds h ON h.track_id = k.track_id AND h.territory <> 'WW'
     AND h.from_month <= k.accounting_month
     AND (h.to_month IS NULL OR h.to_month >= k.accounting_month)
     AND (h.released_at IS NULL OR h.our_share < 1)
    GROUP BY 1, 2, 3, 4, 5
),
exceptions AS (
    SELECT report_file_id, accounting_month, track_id, currency,
           array_agg(territory ORDER BY territory) AS exceptions
    FROM named
    GROUP BY 1, 2, 3, 4
),
subjects AS (
    SELECT k.*, NULL::char(2) AS territory, e.exceptions
    FROM keys k
    LEFT JOIN exceptions e USING (report_file_id, accounting_month, track_id, currency)
    UNION ALL
    SELECT n.*, NULL FROM named n
),
placed AS (
    SELECT g.*, r.label_id, l.accounting_currency AS label_currency,
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
    LEFT JOIN tracks t ON t.id = g.track_id
    LEFT JOIN releases r ON r.id = t.release_id
    LEFT JOIN labels l ON l.id = r.label_id
    LEFT JOIN exchange_rates x
      ON x.month = g.accounting_month AND x.from_currency = g.currency
     AND x.to_currency = l.accounting_currency
    LEFT JOIN contracts tc
      ON tc.track_id = g.track_id AND tc.valid_from <= g.accounting_month
     AND (tc.valid_to IS NULL OR tc.valid_to >= g.accounting_month)
    LEFT JOIN contracts rc
      ON rc.release_id = t.release_id AND rc.valid_from <= g.accounting_month
     AND (rc.valid_to IS NULL OR rc.valid_to >= g.accounting_month)
    LEFT JOIN LATERAL (
        SELECT h.our_share, h.other_party FROM revenue_holds h
        WHERE h.track_id = g.track_id AND h.our_share < 1
          AND (h.territory = 'WW' OR h.territory = g.territory)
          AND h.from_month <= g.accounting_month
          AND (h.to_month IS NULL OR h.to_month >= g.accounting_month)
        ORDER BY h.released_at DESC
        LIMIT 1
    ) s ON true
    OFFSET 0
),
shared AS (
    SELECT p.*,
           CASE WHEN p.hold_reason = 'conflict' THEN 1
                ELSE coalesce(p.settled_share, 1) END AS ours
    FROM placed p
)
SELECT report_file_id, accounting_month, track_id, currency, territory, exceptions,
       CASE WHEN track_id IS NULL THEN 'suspense'
            WHEN hold_reason IS NOT NULL THEN 'held'
            ELSE 'allocated' END,
       hold_reason, contract_id, fee, label_id, label_currency, rate, ours,
       CASE WHEN ours < 1 THEN other_party END
FROM shared;

-- Reads by track (a conflict's held revenue, a track's summaries summed again).
CREATE INDEX terms_track_month_idx ON terms (track_id, accounting_month);
ANALYZE terms;

DROP VIEW conflict_held;
DROP VIEW allocations;
ALTER TABLE ledger RENAME TO ledger_table;

-- Each fact beside its terms: its territory's own, else its key's for the rest of the
-- world. Two branches, so that a track's facts are found by the track's index (an
-- equality of coalesced ids is no index's) and suspense, which has no track, apart.
CREATE VIEW fact_terms AS
SELECT f.report_file_id, f.accounting_month, f.track_id, f.platform, f.territory,
       f.usage_type, f.currency, f.units, f.gross, t.state, t.hold_reason,
       t.contract_id, t.fee, t.label_id, t.label_currency, t.rate, t.ours, t.other_party
FROM stream_facts f
JOIN terms t ON t.track_id = f.track_id AND t.report_file_id = f.report_file_id
 AND t.accounting_month = f.accounting_month AND t.currency = f.currency
 AND (t.territory = f.territory OR (t.territory IS NULL
      AND NOT f.territory = ANY (coalesce(t.exceptions, '{}'))))
UNION ALL
SELECT f.report_file_id, f.accounting_month, f.track_id, f.platform, f.territory,
       f.usage_type, f.currency, f.units, f.gross, t.state, t.hold_reason,
       t.contract_id, t.fee, t.label_id, t.label_currency, t.rate, t.ours, t.other_party
FROM stream_facts f
JOIN terms t ON t.track_id IS NULL AND f.track_id IS NULL
 AND t.report_file_id = f.report_file_id AND t.accounting_month = f.accounting_month
 AND t.currency = f.currency;

-- One row per fact group and its terms: ours, and another party's decided part if
-- any, as the table had them. Grouped on the terms' columns too, so that a filter on
-- any column (a file, a track, a label, a state) reaches the tables below instead of
-- waiting for every group to be summed. A withdrawn file's lines and their reversals
-- cancel out: no group.
CREATE VIEW ledger AS
SELECT f.report_file_id, f.accounting_month, f.track_id, f.platform, f.territory,
       f.usage_type, f.currency,
       CASE WHEN v.theirs THEN 'allocated' ELSE f.state END AS state,
       CASE WHEN v.theirs THEN NULL ELSE f.hold_reason END AS hold_reason,
       f.contract_id, f.fee, f.label_id, sum(f.units)::bigint AS units,
       sum(f.gross) * CASE WHEN v.theirs THEN 1 - f.ours ELSE f.ours END AS gross,
       f.label_currency, f.rate, CASE WHEN v.theirs THEN f.other_party END AS party
FROM fact_terms f
JOIN (VALUES (false), (true)) AS v(theirs)
  ON CASE WHEN v.theirs THEN f.ours < 1 ELSE f.ours > 0 END
GROUP BY f.report_file_id, f.accounting_month, f.track_id, f.platform, f.territory,
         f.usage_type, f.currency, f.state, f.hold_reason, f.contract_id, f.fee,
         f.label_id, f.label_currency, f.rate, f.ours, f.other_party, v.theirs
HAVING sum(f.gross) <> 0 OR sum(f.units) <> 0;

-- Nothing is lost: the view says what the table said, row for row, both ways.
DO $$
DECLARE
    missing bigint;
    extra bigint;
BEGIN
    SELECT count(*) INTO missing FROM (
        SELECT report_file_id, accounting_month, track_id, platform, territory, usage_type,
               currency, state, hold_reason, contract_id, fee, label_id, units, gross,
               label_currency, rate, party FROM ledger_table
        EXCEPT ALL
        SELECT * FROM ledger) x;
    SELECT count(*) INTO extra FROM (
        SELECT * FROM ledger
        EXCEPT ALL
        SELECT report_file_id, accounting_month, track_id, platform, territory, usage_type,
               currency, state, hold_reason, contract_id, fee, label_id, units, gross,
               label_currency, rate, party FROM ledger_table) x;
    IF missing > 0 OR extra > 0 THEN
        RAISE EXCEPTION 'the terms do not reproduce the ledger: % of its rows missing, % more',
            missing, extra
            USING HINT = 'Allocate again with the release before this one (backbeat allocate), then migrate.';
    END IF;
END $$;

DROP TABLE ledger_table;

-- The ledger's parts, as before (migration 11): the fee, each payee's split, the whole
-- group while it cannot be split (suspense, no contract, no rate), another party's.
-- One pass over the ledger, each group joined to the parts it has, rather than a
-- union of four passes: each pass would sum the facts again.
CREATE VIEW allocations AS
SELECT l.report_file_id, l.accounting_month, l.track_id, l.platform, l.territory,
       l.usage_type, l.currency, l.state, l.hold_reason, p.beneficiary, s.payee_id,
       l.contract_id, l.label_id, l.units,
       CASE p.beneficiary WHEN 'distributor' THEN l.gross * l.fee
                          WHEN 'payee' THEN l.gross * (1 - l.fee) * s.share
                          ELSE l.gross END AS gross,
       l.label_currency, l.rate,
       CASE p.beneficiary WHEN 'distributor' THEN l.gross * l.fee * l.rate
                          WHEN 'payee' THEN l.gross * (1 - l.fee) * s.share * l.rate
                          ELSE l.gross * l.rate END AS amount,
       l.party
FROM ledger l
JOIN (VALUES ('distributor'), ('payee'), ('undivided'), ('other_party')) AS p(beneficiary)
  ON CASE p.beneficiary
       WHEN 'distributor' THEN l.party IS NULL AND l.contract_id IS NOT NULL
                               AND l.rate IS NOT NULL AND l.fee > 0
       WHEN 'payee' THEN l.party IS NULL AND l.contract_id IS NOT NULL AND l.rate IS NOT NULL
       WHEN 'undivided' THEN l.party IS NULL AND (l.contract_id IS NULL OR l.rate IS NULL)
       ELSE l.party IS NOT NULL
     END
LEFT JOIN contract_splits s ON p.beneficiary = 'payee' AND s.contract_id = l.contract_id
WHERE p.beneficiary <> 'payee' OR s.payee_id IS NOT NULL;

-- What conflicts' open holds hold now, per ledger group (its parts sum to its gross).
-- Each hold's track's ledger is read on its own (OFFSET 0 keeps the subquery apart, so
-- the hold's track, months and territory reach the facts' and terms' indexes): joined
-- as a whole, every group of the ledger would be summed first.
CREATE VIEW conflict_held AS
SELECT h.conflict_id, a.accounting_month, a.platform, a.territory, a.gross, a.currency,
       CASE WHEN a.currency = s.reporting_currency THEN a.gross ELSE a.gross * x.rate END
           AS reporting
FROM revenue_holds h
CROSS JOIN LATERAL (
    SELECT l.accounting_month, l.platform, l.territory, l.gross, l.currency
    FROM ledger l
    WHERE l.track_id = h.track_id AND l.state = 'held' AND l.hold_reason = 'conflict'
      AND h.territory IN ('WW', l.territory) AND l.accounting_month >= h.from_month
      AND (h.to_month IS NULL OR l.accounting_month <= h.to_month)
    OFFSET 0
) a
CROSS JOIN settings s
LEFT JOIN exchange_rates x
  ON x.month = a.accounting_month AND x.from_currency = a.currency
 AND x.to_currency = s.reporting_currency
WHERE h.released_at IS NULL;
