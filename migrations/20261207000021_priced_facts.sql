-- Each fact priced by its terms, as `priced_terms` prices a term (migration 19): in the
-- label's currency (NULL while its rate is missing, and in suspense), the payees' part,
-- what is held, and the reporting currency's. One definition for whatever sums facts
-- that way: a few tracks' label rows (app/src/revenue/summary.rs), staff's tables
-- within a territory (app/src/dashboards/query.rs) and the tests.
--
-- `fact_terms` also says the label the fact itself carries (migration 20): a filter on
-- it reaches the facts' index on label and territory, where the terms' label reaches
-- only the terms.
CREATE OR REPLACE VIEW fact_terms AS
SELECT f.report_file_id, f.accounting_month, f.track_id, f.platform, f.territory,
       f.usage_type, f.currency, f.units, f.gross, t.state, t.hold_reason,
       t.contract_id, t.fee, t.label_id, t.label_currency, t.rate, t.ours, t.other_party,
       t.release_id, t.reporting_rate, f.label_id AS fact_label_id
FROM stream_facts f
JOIN terms t ON t.track_id = f.track_id AND t.report_file_id = f.report_file_id
 AND t.accounting_month = f.accounting_month AND t.currency = f.currency
 AND (t.territory = f.territory OR (t.territory IS NULL
      AND NOT f.territory = ANY (coalesce(t.exceptions, '{}'))))
UNION ALL
SELECT f.report_file_id, f.accounting_month, f.track_id, f.platform, f.territory,
       f.usage_type, f.currency, f.units, f.gross, t.state, t.hold_reason,
       t.contract_id, t.fee, t.label_id, t.label_currency, t.rate, t.ours, t.other_party,
       t.release_id, t.reporting_rate, f.label_id
FROM stream_facts f
JOIN terms t ON t.track_id IS NULL AND f.track_id IS NULL
 AND t.report_file_id = f.report_file_id AND t.accounting_month = f.accounting_month
 AND t.currency = f.currency;

CREATE VIEW priced_facts AS
SELECT f.*,
       CASE WHEN f.label_currency IS NULL THEN NULL
            WHEN f.ours = 0 THEN 0
            ELSE f.gross * f.ours * f.rate END AS label_gross,
       coalesce(f.gross * f.ours * (1 - f.fee) * f.rate, 0) AS net,
       CASE WHEN f.state = 'held' THEN coalesce(f.gross * f.ours * f.rate, 0) ELSE 0 END
           AS held,
       f.gross * f.reporting_rate AS reporting_gross
FROM fact_terms f;
