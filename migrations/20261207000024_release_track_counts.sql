-- How many tracks each release has, kept with the release: a label's home page counts
-- its tracks, and every list of releases shows each one's count. Counted on reading, a
-- label of 1,250 releases ran 1,250 counts of the tracks index on every page (24 ms with
-- a million-track catalog; make bench), and a join in their place was slower still.
--
-- Kept by statement triggers on tracks, as label_artists is (migration 15), so that
-- every writer keeps it. Each statement adds what it changed to its releases' counts:
-- an UPDATE adds to the count as it stands when the row is locked, so two transactions
-- adding tracks to one release each add their own and neither is lost. A release
-- deleted with its tracks (the cascade) is gone before its tracks' trigger runs, and
-- its count with it.
ALTER TABLE releases ADD COLUMN track_count bigint NOT NULL DEFAULT 0
    CHECK (track_count >= 0);

UPDATE releases r SET track_count = c.tracks
FROM (SELECT release_id, count(*) AS tracks FROM tracks GROUP BY release_id) c
WHERE r.id = c.release_id;

-- One function for the three triggers, as in migration 15: each branch names the
-- transition tables only its own event's trigger has.
CREATE FUNCTION release_track_counts_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE releases r SET track_count = r.track_count + c.tracks
        FROM (SELECT release_id, count(*) AS tracks FROM new_tracks GROUP BY release_id) c
        WHERE r.id = c.release_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE releases r SET track_count = r.track_count - c.tracks
        FROM (SELECT release_id, count(*) AS tracks FROM old_tracks GROUP BY release_id) c
        WHERE r.id = c.release_id;
    ELSE
        -- Only a track moved to another release changes counts; edits add nothing. A
        -- move may take the track to another label: its artists' label counts too.
        PERFORM label_artists_recount(array(
            SELECT DISTINCT ta.artist_id
            FROM new_tracks n
            JOIN old_tracks o ON o.id = n.id AND o.release_id <> n.release_id
            JOIN track_artists ta ON ta.track_id = n.id));
        UPDATE releases r SET track_count = r.track_count + c.tracks
        FROM (SELECT release_id, sum(change) AS tracks
              FROM (SELECT release_id, 1 AS change FROM new_tracks
                    UNION ALL
                    SELECT release_id, -1 FROM old_tracks) moves
              GROUP BY release_id
              HAVING sum(change) <> 0) c
        WHERE r.id = c.release_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER release_track_counts_insert AFTER INSERT ON tracks
    REFERENCING NEW TABLE AS new_tracks
    FOR EACH STATEMENT EXECUTE FUNCTION release_track_counts_after_change();
CREATE TRIGGER release_track_counts_delete AFTER DELETE ON tracks
    REFERENCING OLD TABLE AS old_tracks
    FOR EACH STATEMENT EXECUTE FUNCTION release_track_counts_after_change();
CREATE TRIGGER release_track_counts_update AFTER UPDATE ON tracks
    REFERENCING OLD TABLE AS old_tracks NEW TABLE AS new_tracks
    FOR EACH STATEMENT EXECUTE FUNCTION release_track_counts_after_change();

-- Likewise a release moved to another label takes its tracks' artists with it
-- (label_artists counted only credits' changes until now). The counts above update
-- releases too; they move no release and recount nothing.
CREATE FUNCTION label_artists_after_release_move() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM label_artists_recount(array(
        SELECT DISTINCT ta.artist_id
        FROM new_releases n
        JOIN old_releases o ON o.id = n.id AND o.label_id <> n.label_id
        JOIN tracks t ON t.release_id = n.id
        JOIN track_artists ta ON ta.track_id = t.id));
    RETURN NULL;
END $$;

CREATE TRIGGER label_artists_release_update AFTER UPDATE ON releases
    REFERENCING OLD TABLE AS old_releases NEW TABLE AS new_releases
    FOR EACH STATEMENT EXECUTE FUNCTION label_artists_after_release_move();
