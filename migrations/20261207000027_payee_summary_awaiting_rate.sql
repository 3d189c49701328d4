-- An artist's earnings that wait for an exchange rate are shown as waiting, as a label's
-- are ("+1 no rate"), not left out: a payee's part of a term whose rate is not yet known
-- is a row with NULL earnings (and NULL held), which the artist's pages count rather
-- than sum. Before, such terms had no payee rows at all, so an artist paid by a label
-- in another currency saw nothing of those lines until the rate came.
CREATE OR REPLACE VIEW payee_summary AS
SELECT f.accounting_month, sp.payee_id, f.track_id, f.platform, f.territory, f.usage_type,
       f.units, t.label_currency AS currency,
       -- A term waiting for its rate is in suspense until it comes: unknown, not 0.
       CASE WHEN t.rate IS NULL THEN NULL
            WHEN t.state = 'allocated' THEN f.gross * t.ours * (1 - t.fee) * t.rate * sp.share
            ELSE 0 END AS earnings,
       CASE WHEN t.rate IS NULL THEN NULL
            WHEN t.state = 'held' THEN f.gross * t.ours * (1 - t.fee) * t.rate * sp.share
            ELSE 0 END AS held
FROM terms t
JOIN contract_splits sp ON sp.contract_id = t.contract_id
JOIN stream_facts f ON f.track_id = t.track_id AND f.report_file_id = t.report_file_id
 AND f.accounting_month = t.accounting_month AND f.currency = t.currency
 AND (t.territory = f.territory OR (t.territory IS NULL
      AND NOT f.territory = ANY (coalesce(t.exceptions, '{}'))))
WHERE t.ours > 0;
