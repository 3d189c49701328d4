-- Each of a label's tracks' sums per month: `track_totals` by month. A label's tables
-- over a period and its movers (two periods) summed its tracks' terms, a term per
-- track, month, file and territory: a distributor's track is reported by several
-- platforms a month, each its own file, so a label's month was several times its
-- tracks (make bench at 11M facts: two files in January, 15,500 terms for a label's
-- 8,400 tracks). Kept by allocation as `track_totals` is (app/src/revenue/summary.rs);
-- the summaries test compares it with the facts priced by their terms.
--
-- Labels' tracks only: suspense (no track, no label) is staff's, whose pages read the
-- terms. Amounts in the label's currency only (the reporting currency's are staff's).
CREATE TABLE track_months (
    label_id         bigint NOT NULL,
    accounting_month date NOT NULL,
    track_id         bigint NOT NULL,
    release_id       bigint,
    -- The terms summed: allocation adds and takes out terms' sums, and a track's month
    -- with none left is deleted.
    terms            bigint NOT NULL,
    units            bigint NOT NULL,
    gross            numeric NOT NULL,
    gross_units      bigint NOT NULL,
    gross_awaiting   bigint NOT NULL,
    net              numeric NOT NULL,
    held             numeric NOT NULL,
    -- A label's months together: its period is one range of the key.
    PRIMARY KEY (label_id, accounting_month, track_id)
);
-- The rows a change emptied, found without reading every month's rows.
CREATE INDEX track_months_emptied ON track_months (label_id) WHERE terms = 0;
-- The same for track_totals, whose emptied rows were found by reading all of it.
CREATE INDEX track_totals_emptied ON track_totals (label_id) WHERE terms = 0;

INSERT INTO track_months
SELECT label_id, accounting_month, track_id, max(release_id), count(*), sum(units)::bigint,
       coalesce(sum(gross), 0),
       coalesce(sum(units) FILTER (WHERE gross IS NOT NULL), 0)::bigint,
       coalesce(sum(lines) FILTER (WHERE gross IS NULL), 0)::bigint,
       sum(net), sum(held)
FROM priced_terms
WHERE label_id IS NOT NULL AND track_id IS NOT NULL
GROUP BY label_id, accounting_month, track_id
ORDER BY label_id, accounting_month, track_id;
