-- `track_totals` updated in place: allocating a month's file adds to about a million of
-- its rows, and none of those updates was HOT (heap-only: the new row version beside
-- the old one, no index entry written) because the partial index of emptied rows
-- names `terms` in its predicate, and full pages leave no room beside a row. Emptied
-- rows are now found by the keys allocation emptied (app/src/revenue/summary.rs), and
-- pages are half filled. The 10M-line month's update of the table 11.4-13.2 s -> 7.4 s
-- (profile database). Rewritten in the label index's order: a label's page reads its
-- tracks' rows together.
DROP INDEX track_totals_emptied;
ALTER TABLE track_totals SET (fillfactor = 50);
CLUSTER track_totals USING track_totals_label_idx;
