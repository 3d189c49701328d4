-- Each roll-up row of a track carries the track's release, so that a label's releases
-- and artists are summed from the label's rows alone: finding them through `tracks`
-- read the whole catalog for each of those tables (100,000 tracks scanned and hashed to
-- place a label's 10,000 rows: 60 to 120 ms a table; make bench), a cost that grows with
-- the catalog instead of the label. A track never changes release (the catalog editor
-- keeps it), so the copy never goes stale; revenue::summary writes it with the row.
ALTER TABLE track_summary ADD COLUMN release_id bigint;
ALTER TABLE track_totals ADD COLUMN release_id bigint;

UPDATE track_summary s SET release_id = t.release_id FROM tracks t WHERE t.id = s.track_id;
UPDATE track_totals s SET release_id = t.release_id FROM tracks t WHERE t.id = s.track_id;
