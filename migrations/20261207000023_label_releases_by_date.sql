-- A label's newest releases (its home page's card) in the order they are shown, so
-- that the first ten are read from the index rather than all of the label's releases
-- sorted: with a million-track catalog the card's statement took 18 ms for a label of
-- 1,250 releases (docs/benchmarking.md). It leads with the label, so it serves what the
-- index on the label alone did.
DROP INDEX releases_label_id_idx;
CREATE INDEX releases_label_date_idx ON releases (label_id, release_date DESC NULLS LAST, title);
