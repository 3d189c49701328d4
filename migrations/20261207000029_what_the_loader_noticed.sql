-- What the loader noticed of a file's matched lines, for conflict detection after it
-- (`conflicts::detect::of_files`): the tracks whose lines name a collecting party
-- other than the track's label or the distributor, and the tracks whose lines spell
-- their title or main artist otherwise than the catalog. The loader has each line's
-- track in hand, so noticing costs it little; finding them again afterwards meant
-- reading every fact of the file beside its track, release, label and artist (1.5 s
-- of a 1M-line file's 1.8 s of detection, 8 s for a month of 10M lines: make bench).
--
-- They hold for the catalog the loader compared against (`catalog_version`, migration
-- 25): once the catalog has changed, detection reads the facts as before. NULL for
-- files loaded before this migration, and for those it compared nothing in.
ALTER TABLE report_files
    ADD COLUMN collector_tracks bigint[],
    ADD COLUMN renamed_tracks bigint[],
    ADD COLUMN compared_at_version bigint;

-- The distributor's name decides which collectors are another party's: a change of it
-- is a change of what the loader compared against.
CREATE TRIGGER catalog_version_distributor AFTER UPDATE OF distributor_name
    ON settings FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump();
