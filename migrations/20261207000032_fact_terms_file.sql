-- `fact_terms` also says its terms' file. It joins facts and terms on the file, but a
-- filter on the facts' `report_file_id = ANY(...)` does not reach the terms (the
-- planner carries equalities to other columns, not `= ANY`): allocation's label
-- roll-up of a file (app/src/revenue/summary.rs, `label_add`) hashed every file's
-- terms to join one file's facts, a cost that grew with every month loaded. Filtering
-- on both, the 10M-line month's roll-up 8.7-10.2 -> 7.9-8.3 s with two earlier files'
-- 2M terms beside it (profile database).
CREATE OR REPLACE VIEW fact_terms AS
SELECT f.report_file_id, f.accounting_month, f.track_id, f.platform, f.territory,
       f.usage_type, f.currency, f.units, f.gross, t.state, t.hold_reason,
       t.contract_id, t.fee, t.label_id, t.label_currency, t.rate, t.ours, t.other_party,
       t.release_id, t.reporting_rate, f.label_id AS fact_label_id,
       t.report_file_id AS terms_file_id
FROM stream_facts f
JOIN terms t ON t.track_id = f.track_id AND t.report_file_id = f.report_file_id
 AND t.accounting_month = f.accounting_month AND t.currency = f.currency
 AND (t.territory = f.territory OR (t.territory IS NULL
      AND NOT f.territory = ANY (coalesce(t.exceptions, '{}'))))
UNION ALL
SELECT f.report_file_id, f.accounting_month, f.track_id, f.platform, f.territory,
       f.usage_type, f.currency, f.units, f.gross, t.state, t.hold_reason,
       t.contract_id, t.fee, t.label_id, t.label_currency, t.rate, t.ours, t.other_party,
       t.release_id, t.reporting_rate, f.label_id, t.report_file_id
FROM stream_facts f
JOIN terms t ON t.track_id IS NULL AND f.track_id IS NULL
 AND t.report_file_id = f.report_file_id AND t.accounting_month = f.accounting_month
 AND t.currency = f.currency;
