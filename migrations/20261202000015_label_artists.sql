-- The artists credited on each label's tracks, with how many of the label's releases
-- and tracks credit them: a label's home page lists its first artists and counts them
-- all, and counting them from the credits read the whole catalog's tracks and credits
-- on every page (115,000 credits and 100,000 tracks hashed to find a label's 12,000:
-- 100 ms a page; make bench), a cost that grows with the catalog, not the label.
--
-- Kept by triggers rather than by the code that writes credits, so that every writer
-- (the catalog editor, imports, the demo, generated catalogs, a track's deletion through
-- its cascade) keeps it: after each statement that changes credits, the rows of the
-- artists it touched are counted again from their own credits (an artist's few dozen,
-- by track_artists_artist_id_idx; a bulk load touches every artist once).
CREATE TABLE label_artists (
    label_id  bigint NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    artist_id bigint NOT NULL REFERENCES artists (id) ON DELETE CASCADE,
    releases  bigint NOT NULL,
    tracks    bigint NOT NULL,
    PRIMARY KEY (label_id, artist_id)
);

-- Writers of credits take turns here (one lock, held to the end of their transaction),
-- and each statement below reads what committed before it: two transactions crediting
-- one artist never count from snapshots that miss each other's credits. Credits change
-- in catalog edits and loads, rarely and briefly.
CREATE FUNCTION label_artists_recount(artists bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- A statement that changed no credit (a track's old credits cleared when it had
    -- none) changes no count.
    IF cardinality(artists) = 0 THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(7162306874626174); -- "label_artists"
    DELETE FROM label_artists WHERE artist_id IN (SELECT unnest(artists));
    INSERT INTO label_artists (label_id, artist_id, releases, tracks)
    SELECT r.label_id, ta.artist_id, count(DISTINCT t.release_id), count(*)
    FROM track_artists ta
    JOIN tracks t ON t.id = ta.track_id
    JOIN releases r ON r.id = t.release_id
    WHERE ta.artist_id IN (SELECT unnest(artists))
    GROUP BY r.label_id, ta.artist_id;
END $$;

-- One function for the three triggers: each statement below names a transition table
-- that only its own event's trigger has, and only that branch runs.
CREATE FUNCTION label_artists_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM label_artists_recount(array(SELECT DISTINCT artist_id FROM new_credits));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM label_artists_recount(array(SELECT DISTINCT artist_id FROM old_credits));
    ELSE
        PERFORM label_artists_recount(array(
            SELECT artist_id FROM old_credits UNION SELECT artist_id FROM new_credits));
    END IF;
    RETURN NULL;
END $$;

-- A statement trigger with transition tables takes one event each.
CREATE TRIGGER label_artists_insert AFTER INSERT ON track_artists
    REFERENCING NEW TABLE AS new_credits
    FOR EACH STATEMENT EXECUTE FUNCTION label_artists_after_change();
CREATE TRIGGER label_artists_delete AFTER DELETE ON track_artists
    REFERENCING OLD TABLE AS old_credits
    FOR EACH STATEMENT EXECUTE FUNCTION label_artists_after_change();
CREATE TRIGGER label_artists_update AFTER UPDATE ON track_artists
    REFERENCING OLD TABLE AS old_credits NEW TABLE AS new_credits
    FOR EACH STATEMENT EXECUTE FUNCTION label_artists_after_change();

SELECT label_artists_recount(array(SELECT id FROM artists));
