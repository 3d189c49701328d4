-- The summaries no longer copy the facts. `revenue_summary` kept a row per month,
-- track, platform, territory and usage type: as many rows as facts, written again by
-- every allocation, and 31 of a month's 42 s of allocation (1M facts; make bench). A
-- fact's money is its gross times its terms, so:
--   - terms carry their facts' sums (lines, units, gross), their file's platform, their
--     track's release and the rate into the reporting currency: a track's money per
--     month is its terms' sums times their rates and shares (`priced_terms`), and
--     `track_summary` is a view over them;
--   - `track_totals` (a track over every month) is kept by taking out the terms a
--     change replaces and adding the new ones, from the terms alone;
--   - `label_summary` is summed from the facts times their terms, per report file, so a
--     file allocated again replaces its own rows;
--   - what needs a track's territory or usage type reads the facts times their terms
--     (`fact_terms`), for a label through its terms (app/src/dashboards/query.rs), and an
--     artist's payees' shares (`payee_summary`) through their contracts' terms.
-- A reversed file (superseded, withdrawn) is under no terms: its lines and their
-- reversals cancel, and the ledger showed no group for them before either.

ALTER TABLE terms
    ADD COLUMN platform text,
    ADD COLUMN release_id bigint,
    -- The facts under this term: how many, their units and gross (reported currency).
    ADD COLUMN lines bigint NOT NULL DEFAULT 0,
    ADD COLUMN units bigint NOT NULL DEFAULT 0,
    ADD COLUMN gross numeric NOT NULL DEFAULT 0,
    -- Into the reporting currency (settings); NULL while that rate is missing.
    ADD COLUMN reporting_rate numeric;

DELETE FROM terms t
WHERE EXISTS (SELECT 1 FROM stream_facts f WHERE f.report_file_id = t.report_file_id AND f.reversal);

UPDATE terms t SET platform = r.platform FROM report_files r WHERE r.id = t.report_file_id;
UPDATE terms t SET release_id = k.release_id FROM tracks k WHERE k.id = t.track_id;
UPDATE terms t
SET reporting_rate = CASE WHEN t.currency = s.reporting_currency THEN 1 ELSE (
        SELECT x.rate FROM exchange_rates x
        WHERE x.month = t.accounting_month AND x.from_currency = t.currency
          AND x.to_currency = s.reporting_currency) END
FROM settings s;

-- Each fact's sums go to its territory's own term, else to its key's default one.
WITH per_territory AS (
    SELECT report_file_id, accounting_month, coalesce(track_id, 0) AS track, currency,
           territory, count(*) AS lines, sum(units) AS units, sum(gross) AS gross
    FROM stream_facts
    GROUP BY 1, 2, 3, 4, 5
),
sums AS (
    SELECT p.report_file_id, p.accounting_month, p.track, p.currency,
           coalesce(own.territory, '') AS place, sum(p.lines) AS lines,
           sum(p.units) AS units, sum(p.gross) AS gross
    FROM per_territory p
    LEFT JOIN terms own
      ON own.report_file_id = p.report_file_id AND own.accounting_month = p.accounting_month
     AND coalesce(own.track_id, 0) = p.track AND own.currency = p.currency
     AND own.territory = p.territory
    GROUP BY 1, 2, 3, 4, 5
)
UPDATE terms t SET lines = s.lines, units = s.units, gross = s.gross
FROM sums s
WHERE coalesce(t.track_id, 0) = s.track AND t.accounting_month = s.accounting_month
  AND t.report_file_id = s.report_file_id AND t.currency = s.currency
  AND coalesce(t.territory, '') = s.place;

-- An artist's shares are found through their payees' contracts' terms.
CREATE INDEX terms_contract_idx ON terms (contract_id, accounting_month)
    WHERE contract_id IS NOT NULL;

-- A label's facts are found through its terms: by track and file, and within a
-- territory without reading the track's other territories. Replaces the index on the
-- track alone (the same number of indexes to load into).
DROP INDEX stream_facts_track_id_idx;
CREATE INDEX stream_facts_track_idx ON stream_facts (track_id, report_file_id, territory);

-- Each term's money: in the label's currency (NULL while its rate is missing, and in
-- suspense, which has no label), the payees' part, what is held, and the reporting
-- currency's. The same products the ledger's parts are (migration 18), of sums.
CREATE VIEW priced_terms AS
SELECT t.report_file_id, t.accounting_month, t.track_id, t.platform, t.label_id, t.release_id,
       t.currency, t.territory, t.state, t.lines, t.units,
       CASE WHEN t.label_currency IS NULL THEN NULL
            WHEN t.ours = 0 THEN 0
            ELSE t.gross * t.ours * t.rate END AS gross,
       coalesce(t.gross * t.ours * (1 - t.fee) * t.rate, 0) AS net,
       CASE WHEN t.state = 'held' THEN coalesce(t.gross * t.ours * t.rate, 0) ELSE 0 END AS held,
       t.gross * t.reporting_rate AS reporting_gross
FROM terms t;

-- Per track, month and platform; `*_awaiting` count the lines waiting for a rate.
DROP VIEW payee_summary;
DROP TABLE revenue_summary;
DROP TABLE track_summary;
CREATE VIEW track_summary AS
SELECT accounting_month, track_id, label_id, release_id, platform,
       sum(units)::bigint AS units,
       coalesce(sum(gross), 0) AS gross,
       coalesce(sum(units) FILTER (WHERE gross IS NOT NULL), 0)::bigint AS gross_units,
       coalesce(sum(lines) FILTER (WHERE gross IS NULL), 0)::bigint AS gross_awaiting,
       sum(net) AS net,
       sum(held) AS held,
       coalesce(sum(reporting_gross), 0) AS reporting_gross,
       coalesce(sum(units) FILTER (WHERE reporting_gross IS NOT NULL), 0)::bigint
           AS reporting_units,
       coalesce(sum(lines) FILTER (WHERE reporting_gross IS NULL), 0)::bigint
           AS reporting_awaiting
FROM priced_terms
GROUP BY accounting_month, track_id, label_id, release_id, platform;

-- A track over every month: its terms' sums, kept as they change.
DROP TABLE track_totals;
CREATE TABLE track_totals (
    track_id    bigint,          -- NULL: suspense
    label_id    bigint,
    release_id  bigint,
    -- The terms summed: allocation adds and takes out terms' sums, and a track with
    -- none left is deleted.
    terms       bigint NOT NULL,
    units       bigint NOT NULL,
    gross       numeric NOT NULL,
    gross_units bigint NOT NULL,
    gross_awaiting bigint NOT NULL,
    net         numeric NOT NULL,
    held        numeric NOT NULL,
    reporting_gross numeric NOT NULL,
    reporting_units bigint NOT NULL,
    reporting_awaiting bigint NOT NULL
);
CREATE UNIQUE INDEX track_totals_key ON track_totals (coalesce(track_id, 0), coalesce(label_id, 0));
CREATE INDEX track_totals_label_idx ON track_totals (label_id, track_id);
INSERT INTO track_totals
SELECT track_id, label_id, max(release_id), count(*), sum(units)::bigint, coalesce(sum(gross), 0),
       coalesce(sum(units) FILTER (WHERE gross IS NOT NULL), 0)::bigint,
       coalesce(sum(lines) FILTER (WHERE gross IS NULL), 0)::bigint,
       sum(net), sum(held), coalesce(sum(reporting_gross), 0),
       coalesce(sum(units) FILTER (WHERE reporting_gross IS NOT NULL), 0)::bigint,
       coalesce(sum(lines) FILTER (WHERE reporting_gross IS NULL), 0)::bigint
FROM priced_terms
GROUP BY track_id, label_id;

-- The facts beside their terms, as before (migration 18), with the terms' release
-- and reporting rate.
CREATE OR REPLACE VIEW fact_terms AS
SELECT f.report_file_id, f.accounting_month, f.track_id, f.platform, f.territory,
       f.usage_type, f.currency, f.units, f.gross, t.state, t.hold_reason,
       t.contract_id, t.fee, t.label_id, t.label_currency, t.rate, t.ours, t.other_party,
       t.release_id, t.reporting_rate
FROM stream_facts f
JOIN terms t ON t.track_id = f.track_id AND t.report_file_id = f.report_file_id
 AND t.accounting_month = f.accounting_month AND t.currency = f.currency
 AND (t.territory = f.territory OR (t.territory IS NULL
      AND NOT f.territory = ANY (coalesce(t.exceptions, '{}'))))
UNION ALL
SELECT f.report_file_id, f.accounting_month, f.track_id, f.platform, f.territory,
       f.usage_type, f.currency, f.units, f.gross, t.state, t.hold_reason,
       t.contract_id, t.fee, t.label_id, t.label_currency, t.rate, t.ours, t.other_party,
       t.release_id, t.reporting_rate
FROM stream_facts f
JOIN terms t ON t.track_id IS NULL AND f.track_id IS NULL
 AND t.report_file_id = f.report_file_id AND t.accounting_month = f.accounting_month
 AND t.currency = f.currency;

-- Per report file, label, month, platform, territory and usage type.
DROP TABLE label_summary;
CREATE TABLE label_summary (
    report_file_id bigint NOT NULL,
    accounting_month date NOT NULL,
    label_id    bigint,          -- NULL: suspense
    platform    text NOT NULL,
    territory   char(2) NOT NULL,
    usage_type  text NOT NULL,
    -- The facts summed: a slice of none is deleted.
    lines       bigint NOT NULL,
    units       bigint NOT NULL,
    gross       numeric NOT NULL,
    gross_units bigint NOT NULL,
    gross_awaiting bigint NOT NULL,
    net         numeric NOT NULL,
    held        numeric NOT NULL,
    reporting_gross numeric NOT NULL,
    reporting_units bigint NOT NULL,
    reporting_awaiting bigint NOT NULL
);
CREATE UNIQUE INDEX label_summary_key ON label_summary
    (report_file_id, coalesce(label_id, 0), accounting_month, platform, territory, usage_type);
CREATE INDEX label_summary_label_idx ON label_summary (label_id, accounting_month);
-- As app/src/revenue/summary.rs sums it.
INSERT INTO label_summary
WITH grouped AS (
    SELECT report_file_id, accounting_month, label_id, platform, territory, usage_type,
           label_currency, ours, rate, fee, state, reporting_rate,
           count(*) AS lines, sum(units) AS units, sum(gross) AS gross
    FROM fact_terms
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
),
priced AS (
    SELECT g.*,
           CASE WHEN label_currency IS NULL THEN NULL WHEN ours = 0 THEN 0
                ELSE gross * ours * rate END AS label_gross,
           coalesce(gross * ours * (1 - fee) * rate, 0) AS net,
           CASE WHEN state = 'held' THEN coalesce(gross * ours * rate, 0) ELSE 0 END AS held,
           gross * reporting_rate AS reporting_gross
    FROM grouped g
)
SELECT report_file_id, accounting_month, label_id, platform, territory, usage_type,
       sum(lines), sum(units)::bigint, coalesce(sum(label_gross), 0),
       coalesce(sum(units) FILTER (WHERE label_gross IS NOT NULL), 0)::bigint,
       coalesce(sum(lines) FILTER (WHERE label_gross IS NULL), 0)::bigint,
       sum(net), sum(held), coalesce(sum(reporting_gross), 0),
       coalesce(sum(units) FILTER (WHERE reporting_gross IS NOT NULL), 0)::bigint,
       coalesce(sum(lines) FILTER (WHERE reporting_gross IS NULL), 0)::bigint
FROM priced
GROUP BY 1, 2, 3, 4, 5, 6;

-- Per payee and fact: what each payee earned and has held (label currency). A term's
-- payees' part is split by its contract's shares, which sum to exactly 1 (a
-- constraint trigger), only once its rate is known and some of it is ours.
CREATE VIEW payee_summary AS
SELECT f.accounting_month, sp.payee_id, f.track_id, f.platform, f.territory, f.usage_type,
       f.units, t.label_currency AS currency,
       CASE WHEN t.state = 'allocated' THEN f.gross * t.ours * (1 - t.fee) * t.rate * sp.share
            ELSE 0 END AS earnings,
       CASE WHEN t.state = 'held' THEN f.gross * t.ours * (1 - t.fee) * t.rate * sp.share
            ELSE 0 END AS held
FROM terms t
JOIN contract_splits sp ON sp.contract_id = t.contract_id
JOIN stream_facts f ON f.track_id = t.track_id AND f.report_file_id = t.report_file_id
 AND f.accounting_month = t.accounting_month AND f.currency = t.currency
 AND (t.territory = f.territory OR (t.territory IS NULL
      AND NOT f.territory = ANY (coalesce(t.exceptions, '{}'))))
WHERE t.rate IS NOT NULL AND t.ours > 0;

ANALYZE terms, track_totals, label_summary;
