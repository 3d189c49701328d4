-- Two roll-ups of revenue_summary for the label and staff dashboards, which otherwise
-- add up a tenth of the catalog's summary rows for every number on a label's page
-- (1.8 s a page for a label of 10,000 tracks and 100,000 rows a month; make bench).
-- Each keeps, beside the sums, what a page needs of the rows it rolls up: the units
-- whose money is known (per stream divides by those) and how many rows wait for an
-- exchange rate (counted, not summed as 0), in the label's and the reporting currency.
-- revenue::summary keeps them in step with revenue_summary, in allocation's
-- transaction; the summaries test compares them with revenue_summary after every kind
-- of change.

-- Per label, month, platform, territory and usage type: every track of a label at once.
CREATE TABLE label_summary (
    accounting_month date NOT NULL,
    label_id    bigint,          -- NULL: suspense
    platform    text NOT NULL,
    territory   char(2) NOT NULL,
    usage_type  text NOT NULL,
    -- The revenue_summary rows rolled up: allocation adds and takes out rows' sums
    -- (every column is a sum or a count), and a slice of none is deleted.
    summary_rows bigint NOT NULL,
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
-- The key (suspense as label 0) for keeping it; the label's months for reading it.
CREATE UNIQUE INDEX label_summary_key
    ON label_summary (coalesce(label_id, 0), accounting_month, platform, territory, usage_type);
CREATE INDEX label_summary_label_idx ON label_summary (label_id, accounting_month);

-- Per track and month: a label's tracks, releases and artists compared, without the
-- platform, territory and usage type that multiply their rows.
CREATE TABLE track_summary (
    accounting_month date NOT NULL,
    track_id    bigint,          -- NULL: suspense
    label_id    bigint,
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
CREATE UNIQUE INDEX track_summary_key ON track_summary (coalesce(track_id, 0), accounting_month);
CREATE INDEX track_summary_track_idx ON track_summary (track_id, accounting_month);
CREATE INDEX track_summary_label_idx ON track_summary (label_id, accounting_month);

INSERT INTO label_summary
SELECT accounting_month, label_id, platform, territory, usage_type, count(*), sum(units)::bigint,
       coalesce(sum(gross), 0), coalesce(sum(units) FILTER (WHERE gross IS NOT NULL), 0)::bigint,
       count(*) FILTER (WHERE gross IS NULL), coalesce(sum(net), 0), coalesce(sum(held), 0),
       coalesce(sum(reporting_gross), 0),
       coalesce(sum(units) FILTER (WHERE reporting_gross IS NOT NULL), 0)::bigint,
       count(*) FILTER (WHERE reporting_gross IS NULL)
FROM revenue_summary
GROUP BY accounting_month, label_id, platform, territory, usage_type
ORDER BY label_id, accounting_month;

INSERT INTO track_summary
SELECT accounting_month, track_id, max(label_id), sum(units)::bigint,
       coalesce(sum(gross), 0), coalesce(sum(units) FILTER (WHERE gross IS NOT NULL), 0)::bigint,
       count(*) FILTER (WHERE gross IS NULL), coalesce(sum(net), 0), coalesce(sum(held), 0),
       coalesce(sum(reporting_gross), 0),
       coalesce(sum(units) FILTER (WHERE reporting_gross IS NOT NULL), 0)::bigint,
       count(*) FILTER (WHERE reporting_gross IS NULL)
FROM revenue_summary
GROUP BY accounting_month, track_id
-- Each label's tracks together: a label's pages read them all.
ORDER BY 3, 2;
