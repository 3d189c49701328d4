-- Each fact carries its track's label (a track never changes release, nor a release
-- its label), so that a label's facts within a territory are found by one index range
-- rather than by a probe per term: a label's tracks in its busiest territory, 38 ms
-- against about 200 ms on make bench's profile database (docs/benchmarking.md). Set by
-- the loader with the track, and with the track wherever lines are matched later.
ALTER TABLE stream_facts ADD COLUMN label_id bigint;

UPDATE stream_facts f SET label_id = r.label_id
FROM tracks t JOIN releases r ON r.id = t.release_id
WHERE t.id = f.track_id;

CREATE INDEX stream_facts_label_idx ON stream_facts (label_id, territory)
    WHERE label_id IS NOT NULL;
ANALYZE stream_facts;
