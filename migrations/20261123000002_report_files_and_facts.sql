-- Ingestion: report files, what was wrong with the ones refused, and the facts of the
-- ones loaded. See docs/formats.md and server/src/ingest/.

CREATE TABLE platforms (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z_]+$'),
    name        text NOT NULL UNIQUE
);
INSERT INTO platforms (code, name) VALUES
    ('spotify', 'Spotify'),
    ('apple_music', 'Apple Music'),
    ('amazon_music', 'Amazon Music'),
    ('youtube', 'YouTube'),
    ('deezer', 'Deezer'),
    ('tidal', 'TIDAL');

-- The platforms' own ids for our recordings (Spotify track id, YouTube asset id, Apple
-- identifier, Amazon ASIN): lines without an ISRC are matched by these.
CREATE TABLE track_platform_ids (
    platform    text NOT NULL REFERENCES platforms (code),
    platform_track_id text NOT NULL CHECK (btrim(platform_track_id) <> ''),
    track_id    bigint NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    PRIMARY KEY (platform, platform_track_id)
);
CREATE INDEX track_platform_ids_track_id_idx ON track_platform_ids (track_id);

CREATE TABLE report_files (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The file's identity: the same bytes are loaded once, whatever they are called.
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    file_name   text NOT NULL,
    size_bytes  bigint NOT NULL CHECK (size_bytes >= 0),
    source      text NOT NULL CHECK (source IN ('command_line', 'upload', 'drop_folder')),
    status      text NOT NULL CHECK (status IN
                  ('loaded', 'quarantined', 'awaiting_confirmation', 'superseded', 'withdrawn')),
    format      text,
    platform    text REFERENCES platforms (code),
    sender      text,
    period_start date,
    period_end  date CHECK (period_end >= period_start),
    accounting_month date CHECK (extract(day FROM accounting_month) = 1),
    fact_count  bigint NOT NULL DEFAULT 0,
    units_total bigint NOT NULL DEFAULT 0,
    error_count bigint NOT NULL DEFAULT 0,
    -- Reconciliations that held under one reading of an ambiguous standard only.
    warnings    text[] NOT NULL DEFAULT '{}',
    received_at timestamptz NOT NULL DEFAULT now(),
    loaded_at   timestamptz
);
-- Quarantined files may come again, fixed or not; any other status means "seen".
CREATE UNIQUE INDEX report_files_sha256_key ON report_files (sha256) WHERE status <> 'quarantined';
CREATE INDEX report_files_supersede_idx ON report_files (platform, sender, accounting_month);

-- What a loaded file reported, per currency: the figure its facts must sum to.
CREATE TABLE report_file_totals (
    report_file_id bigint NOT NULL REFERENCES report_files (id),
    currency    char(3) NOT NULL,
    gross       numeric NOT NULL,
    PRIMARY KEY (report_file_id, currency)
);

-- The first errors of a quarantined file (report_files.error_count has them all).
CREATE TABLE report_file_errors (
    report_file_id bigint NOT NULL REFERENCES report_files (id),
    ordinal     integer NOT NULL,
    line        bigint NOT NULL,
    column_name text NOT NULL,
    value       text NOT NULL,
    reason      text NOT NULL,
    PRIMARY KEY (report_file_id, ordinal)
);

-- One row per reported line, partitioned by accounting month (partitions are made by
-- the loader as months arrive). No foreign keys: they would cost a trigger per row of
-- every COPY, and the loader writes report_file_id and track_id in the same transaction
-- that checks them. Corrections and reversals are rows of their own, never updates.
CREATE TABLE stream_facts (
    report_file_id bigint NOT NULL,
    line_number bigint NOT NULL,
    -- A reversal cancels the file's line of the same number (withdrawn or superseded file).
    reversal    boolean NOT NULL DEFAULT false,
    accounting_month date NOT NULL,
    period_start date NOT NULL,
    period_end  date NOT NULL,
    platform    text NOT NULL,
    territory   char(2) NOT NULL,
    usage_type  text NOT NULL CHECK (usage_type IN ('ad_supported', 'premium', 'ugc', 'download')),
    isrc        char(12),
    upc         char(13),
    platform_track_id text,
    -- The catalog track the line matched; NULL lines are suspense revenue.
    track_id    bigint,
    title       text NOT NULL,
    artist      text NOT NULL,
    units       bigint NOT NULL,
    gross       numeric NOT NULL,
    currency    char(3) NOT NULL,
    collector   text
) PARTITION BY RANGE (accounting_month);
CREATE INDEX stream_facts_report_file_id_idx ON stream_facts (report_file_id);
CREATE INDEX stream_facts_track_id_idx ON stream_facts (track_id);
