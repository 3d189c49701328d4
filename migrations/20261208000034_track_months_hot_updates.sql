-- `track_months` updated in place, as `track_totals` is (migration 31): every report
-- file of a month after its first (a distributor gets one from each platform) adds to
-- the month's rows, about one a track it reports, and none of those updates was HOT
-- (heap-only: the new row version beside the old, no index entry written), because
-- the partial index of emptied rows names `terms` in its predicate and inserted pages
-- are full. Emptied rows are now found by the keys allocation emptied
-- (app/src/revenue/summary.rs), and pages are written half full.
DROP INDEX track_months_emptied;
ALTER TABLE track_months SET (fillfactor = 50);
