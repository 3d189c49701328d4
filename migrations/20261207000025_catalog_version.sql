-- A count of the catalog's committed changes, so that the server may keep what many
-- pages read of it (a label's 1,250 releases and their artists, its size and first
-- artists) between requests, for as long as the catalog is what it read: a label
-- overview read them anew each time, a fifth of its Postgres time at a distributor's
-- size (make bench).
--
-- Bumped by a statement trigger on each table those reads depend on, in the writer's
-- transaction: readers see the new count only once the change is committed, and a
-- reader reads the count before what it keeps, so what it keeps is never older than
-- the count it keeps it under. Writers of the catalog take turns on this row until
-- they commit; catalog changes are edits and imports, rare and brief (ingestion writes
-- none).
CREATE TABLE catalog_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version  bigint NOT NULL
);
INSERT INTO catalog_version (version) VALUES (1);

CREATE FUNCTION catalog_version_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_version SET version = version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER catalog_version_labels AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON labels FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump();
CREATE TRIGGER catalog_version_artists AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON artists FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump();
CREATE TRIGGER catalog_version_releases AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON releases FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump();
CREATE TRIGGER catalog_version_tracks AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON tracks FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump();
CREATE TRIGGER catalog_version_track_artists AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON track_artists FOR EACH STATEMENT EXECUTE FUNCTION catalog_version_bump();
