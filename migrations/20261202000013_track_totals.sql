-- Each track's all-time sums per label (track_summary without the month), for pages
-- that list a label's or everyone's tracks, releases or artists over every month: they
-- would otherwise add up every month of track_summary on each page, a cost that grows
-- with the months loaded (26,000 rows, 100 ms, for a label of 10,000 tracks after three
-- months; make bench). revenue::summary keeps it in step with track_summary, in
-- allocation's transaction; the summaries test compares it with revenue_summary.
CREATE TABLE track_totals (
    track_id    bigint,          -- NULL: suspense
    label_id    bigint,
    -- The track_summary rows (months) summed: allocation adds and takes out months'
    -- sums, and a track with none left is deleted.
    months      bigint NOT NULL,
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
-- A label's tracks, and one track of a label (its page).
CREATE INDEX track_totals_label_idx ON track_totals (label_id, track_id);

INSERT INTO track_totals
SELECT track_id, label_id, count(*), sum(units)::bigint, sum(gross), sum(gross_units)::bigint,
       sum(gross_awaiting)::bigint, sum(net), sum(held), sum(reporting_gross),
       sum(reporting_units)::bigint, sum(reporting_awaiting)::bigint
FROM track_summary
GROUP BY track_id, label_id
ORDER BY label_id, track_id;
