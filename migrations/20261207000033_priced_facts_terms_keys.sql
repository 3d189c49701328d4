-- `fact_terms` also says its terms' track, and `priced_facts` its terms' file and track,
-- for the reason migration 32 gives: a filter on the facts' `track_id = ANY(...)` does
-- not reach the terms. A few tracks' label rows taken out and put back
-- (app/src/revenue/summary.rs, `label_delta`: a decision, a contract, a hold) hashed
-- every term of every file to join those tracks' facts: 1.5 s for 20 tracks beside 2.1M
-- terms, on every decision, growing with every month loaded.
CREATE OR REPLACE VIEW fact_terms AS
SELECT f.report_file_id, f.accounting_month, f.track_id, f.platform, f.territory,
       f.usage_type, f.currency, f.units, f.gross, t.state, t.hold_reason,
       t.contract_id, t.fee, t.label_id, t.label_currency, t.rate, t.ours, t.other_party,
       t.release_id, t.reporting_rate, f.label_id AS fact_label_id,
       t.report_file_id AS terms_file_id, t.track_id AS terms_track_id
FROM stream_facts f
JOIN terms t ON t.track_id = f.track_id AND t.report_file_id = f.report_file_id
 AND t.accounting_month = f.accounting_month AND t.currency = f.currency
 AND (t.territory = f.territory OR (t.territory IS NULL
      AND NOT f.territory = ANY (coalesce(t.exceptions, '{}'))))
UNION ALL
SELECT f.report_file_id, f.accounting_month, f.track_id, f.platform, f.territory,
       f.usage_type, f.currency, f.units, f.gross, t.state, t.hold_reason,
       t.contract_id, t.fee, t.label_id, t.label_currency, t.rate, t.ours, t.other_party,
       t.release_id, t.reporting_rate, f.label_id, t.report_file_id, t.track_id
FROM stream_facts f
JOIN terms t ON t.track_id IS NULL AND f.track_id IS NULL
 AND t.report_file_id = f.report_file_id AND t.accounting_month = f.accounting_month
 AND t.currency = f.currency;

-- Its columns as before (`f.*` was expanded when it was made), the new ones last.
CREATE OR REPLACE VIEW priced_facts AS
SELECT f.report_file_id, f.accounting_month, f.track_id, f.platform, f.territory,
       f.usage_type, f.currency, f.units, f.gross, f.state, f.hold_reason,
       f.contract_id, f.fee, f.label_id, f.label_currency, f.rate, f.ours, f.other_party,
       f.release_id, f.reporting_rate, f.fact_label_id,
       CASE WHEN f.label_currency IS NULL THEN NULL
            WHEN f.ours = 0 THEN 0
            ELSE f.gross * f.ours * f.rate END AS label_gross,
       coalesce(f.gross * f.ours * (1 - f.fee) * f.rate, 0) AS net,
       CASE WHEN f.state = 'held' THEN coalesce(f.gross * f.ours * f.rate, 0) ELSE 0 END
           AS held,
       f.gross * f.reporting_rate AS reporting_gross,
       f.terms_file_id, f.terms_track_id
FROM fact_terms f;
