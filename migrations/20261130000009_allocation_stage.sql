-- Allocation as its own stage after loading. A file's facts are committed first (one
-- transaction, as fast as COPY allows); allocating them into the ledger, the summaries
-- and conflict detection follows in a transaction of its own, for every loaded file
-- that waits (`allocated_at IS NULL`). The loader starts it as soon as its file is in;
-- the scheduler finishes any that a stopped process left waiting. Until a file is
-- allocated its money is not on any page or statement, and payout runs wait for it.
ALTER TABLE report_files ADD COLUMN allocated_at timestamptz;
UPDATE report_files SET allocated_at = coalesce(loaded_at, received_at)
WHERE status IN ('loaded', 'superseded', 'withdrawn');
CREATE INDEX report_files_awaiting_allocation ON report_files (id)
    WHERE status = 'loaded' AND allocated_at IS NULL;

-- The same view, converting by a join instead of `to_reporting` per row: a SQL function
-- with a query inside runs that query once per ledger row, which made detection's
-- "what is held now" take seconds per file (measured by `make bench`).
CREATE OR REPLACE VIEW conflict_held AS
SELECT h.conflict_id, a.accounting_month, a.platform, a.territory, a.gross, a.currency,
       CASE WHEN a.currency = s.reporting_currency THEN a.gross ELSE a.gross * x.rate END
           AS reporting
FROM revenue_holds h
JOIN allocations a ON a.track_id = h.track_id AND a.state = 'held'
 AND a.hold_reason = 'conflict' AND h.territory IN ('WW', a.territory)
 AND a.accounting_month >= h.from_month
 AND (h.to_month IS NULL OR a.accounting_month <= h.to_month)
CROSS JOIN settings s
LEFT JOIN exchange_rates x
  ON x.month = a.accounting_month AND x.from_currency = a.currency
 AND x.to_currency = s.reporting_currency
WHERE h.released_at IS NULL;
