-- What dashboards read: the allocation ledger summed per accounting month, track,
-- platform, territory and usage type. Allocation keeps them current for what it
-- allocates (app/src/revenue/summary.rs); pages never read the facts.

-- Per track (NULL: suspense, lines that matched no track).
CREATE TABLE revenue_summary (
    accounting_month date NOT NULL,
    track_id    bigint,
    label_id    bigint,
    platform    text NOT NULL,
    territory   char(2) NOT NULL,
    usage_type  text NOT NULL,
    units       bigint NOT NULL,
    -- In the track's label's currency; NULL while a rate into it is missing, and for
    -- suspense (no label). gross is every part but another party's; net is the payees'
    -- parts; held is the parts held back.
    label_currency char(3),
    gross       numeric,
    net         numeric,
    held        numeric,
    -- The reported gross in the reporting currency (settings), NULL while a rate is
    -- missing: what staff totals add up.
    reporting_gross numeric
);
CREATE UNIQUE INDEX revenue_summary_key
    ON revenue_summary (accounting_month, coalesce(track_id, 0), platform, territory, usage_type);
CREATE INDEX revenue_summary_track_idx ON revenue_summary (track_id, accounting_month);
CREATE INDEX revenue_summary_label_idx ON revenue_summary (label_id, accounting_month);

-- Per payee: what each payee earned and has held, per track.
CREATE TABLE payee_summary (
    accounting_month date NOT NULL,
    payee_id    bigint NOT NULL,
    track_id    bigint NOT NULL,
    platform    text NOT NULL,
    territory   char(2) NOT NULL,
    usage_type  text NOT NULL,
    units       bigint NOT NULL,
    currency    char(3) NOT NULL,
    earnings    numeric NOT NULL,
    held        numeric NOT NULL,
    PRIMARY KEY (payee_id, accounting_month, track_id, platform, territory, usage_type)
);
CREATE INDEX payee_summary_track_idx ON payee_summary (track_id, accounting_month);

-- A database with a ledger already gets its summaries now (the same sums as
-- revenue::summary::refresh, over everything).
INSERT INTO revenue_summary
    (accounting_month, track_id, label_id, platform, territory, usage_type, units,
     label_currency, gross, net, held, reporting_gross)
WITH grains AS (
    SELECT a.accounting_month, a.track_id, a.label_id, a.platform, a.territory,
           a.usage_type, a.report_file_id, a.currency, max(a.units) AS units,
           max(a.label_currency) AS label_currency,
           complete_sum(a.amount) FILTER (WHERE a.beneficiary <> 'other_party') AS gross,
           coalesce(sum(a.amount) FILTER (WHERE a.beneficiary = 'payee'), 0) AS net,
           coalesce(sum(a.amount) FILTER (WHERE a.state = 'held'), 0) AS held,
           to_reporting(sum(a.gross), a.currency, a.accounting_month) AS reporting_gross
    FROM allocations a
    GROUP BY a.accounting_month, a.track_id, a.label_id, a.platform, a.territory,
             a.usage_type, a.report_file_id, a.currency
)
SELECT accounting_month, track_id, max(label_id), platform, territory, usage_type,
       sum(units)::bigint, max(label_currency),
       CASE WHEN max(label_currency) IS NOT NULL THEN complete_sum(gross) END,
       sum(net), sum(held), complete_sum(reporting_gross)
FROM grains
GROUP BY accounting_month, track_id, platform, territory, usage_type;

INSERT INTO payee_summary
    (accounting_month, payee_id, track_id, platform, territory, usage_type, units,
     currency, earnings, held)
WITH grains AS (
    SELECT a.accounting_month, a.payee_id, a.track_id, a.platform, a.territory,
           a.usage_type, a.report_file_id, a.currency, max(a.units) AS units,
           max(a.label_currency) AS label_currency,
           sum(a.amount) FILTER (WHERE a.state = 'allocated') AS earnings,
           sum(a.amount) FILTER (WHERE a.state = 'held') AS held
    FROM allocations a
    WHERE a.payee_id IS NOT NULL
    GROUP BY a.accounting_month, a.payee_id, a.track_id, a.platform, a.territory,
             a.usage_type, a.report_file_id, a.currency
)
SELECT accounting_month, payee_id, track_id, platform, territory, usage_type,
       sum(units)::bigint, max(label_currency), coalesce(sum(earnings), 0),
       coalesce(sum(held), 0)
FROM grains
GROUP BY accounting_month, payee_id, track_id, platform, territory, usage_type;
