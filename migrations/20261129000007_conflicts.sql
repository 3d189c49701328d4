-- Ownership conflicts: what detection finds, the holds it places, and what staff decide.

-- The distributor itself: its name (a claim or a collecting party by this name, or by
-- one of its labels' names, is ours), the currency staff totals are kept in, and the
-- revenue at stake above which a new conflict is shown to staff as an alert.
CREATE TABLE settings (
    id                    boolean PRIMARY KEY DEFAULT true CHECK (id),
    distributor_name      text NOT NULL CHECK (btrim(distributor_name) <> ''),
    reporting_currency    char(3) NOT NULL CHECK (reporting_currency ~ '^[A-Z]{3}$'),
    conflict_alert_amount numeric NOT NULL CHECK (conflict_alert_amount >= 0)
);
INSERT INTO settings (distributor_name, reporting_currency, conflict_alert_amount)
VALUES ('Backbeat Distribution', 'USD', 100);

-- Compares names as people read them: case, punctuation and spacing aside, and without
-- a featured artist ("Song (feat. X)", "Song ft X" and "SONG" are one title).
CREATE FUNCTION comparable_name(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT btrim(regexp_replace(
        regexp_replace(lower(name), '[\(\[]?\s*\m(feat|ft|featuring)\M.*$', ''),
        '[^[:alnum:]]+', ' ', 'g'))
$$;

-- The main artist of an artist credit: what comes before the first ",", "&", ";", " x ",
-- " and " or featured artist, comparable.
CREATE FUNCTION comparable_artist(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT comparable_name(split_part(
        regexp_replace(lower(name), '\s*(,|&|;|\mx\M|\mand\M)\s*', ',', 'g'), ',', 1))
$$;

-- An amount of `currency` in the reporting currency at `month`'s rate; NULL when that
-- rate is missing.
CREATE FUNCTION to_reporting(amount numeric, currency char(3), month date) RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN currency = s.reporting_currency THEN amount ELSE amount * x.rate END
    FROM settings s
    LEFT JOIN exchange_rates x ON x.month = to_reporting.month
     AND x.from_currency = to_reporting.currency AND x.to_currency = s.reporting_currency
$$;

-- The sum of amounts, or NULL when any of them is (an amount whose rate is missing):
-- a total that leaves out what it cannot convert would understate what is at stake.
CREATE FUNCTION add_or_null(total numeric, amount numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT total + amount $$;
CREATE AGGREGATE complete_sum(numeric) (SFUNC = add_or_null, STYPE = numeric, INITCOND = '0');

-- Suspense lines by identifier, for detection of what matches nothing.
CREATE INDEX stream_facts_unmatched_idx ON stream_facts (isrc, platform, platform_track_id)
    WHERE track_id IS NULL;

-- A claim that a decision ended stays, marked, so the history says what it was.
ALTER TABLE ownership_claims
    ADD COLUMN withdrawn_at timestamptz,
    ADD COLUMN withdrawn_note text;

CREATE TABLE conflicts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL
                CHECK (kind IN ('overlapping_claims', 'foreign_claim', 'metadata_mismatch', 'unmatched')),
    -- What the conflict is about, the same on every detection run: "track:12",
    -- "track:12:harmony rights", "isrc:USRC17607839", "spotify:4uLU6hMC...".
    subject     text NOT NULL,
    -- A fingerprint of the cause (the claims involved, the territories, the titles
    -- seen). A decided conflict is not opened again for the same cause.
    cause       text NOT NULL,
    track_id    bigint REFERENCES tracks (id),
    label_id    bigint REFERENCES labels (id),
    -- Unmatched lines' identifier: an ISRC, or a platform's own id (platforms[1]).
    isrc        char(12),
    platform_track_id text,
    platforms   text[] NOT NULL DEFAULT '{}',
    territories char(2)[] NOT NULL DEFAULT '{}',
    -- The other parties (overlapping and foreign claims).
    parties     text[] NOT NULL DEFAULT '{}',
    -- The claims that overlap.
    claim_ids   bigint[] NOT NULL DEFAULT '{}',
    -- Titles and artists seen that differ from the catalog's ("Spotify: Title / Artist").
    variants    text[] NOT NULL DEFAULT '{}',
    -- What is decided, in the reporting currency (settings.reporting_currency);
    -- NULL while a rate to convert it is missing. held is the part of it held back.
    at_stake    numeric,
    held        numeric DEFAULT 0,
    -- Months the cause was seen in: first and last.
    first_month date,
    last_month  date,
    -- One line saying what was found, for the queue.
    summary     text NOT NULL,
    status      text NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'investigating', 'resolved', 'dismissed')),
    assigned_to bigint REFERENCES users (id),
    resolution  text CHECK (resolution IN ('ours', 'theirs', 'split', 'matched', 'not_a_conflict')),
    -- Our share under a split decision.
    our_share   numeric CHECK (our_share >= 0 AND our_share <= 1),
    decided_by  bigint REFERENCES users (id),
    decided_at  timestamptz,
    decision_note text,
    opened_at   timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT conflicts_decided CHECK ((status = 'resolved') = (resolution IS NOT NULL)),
    CONSTRAINT conflicts_split CHECK ((resolution = 'split') = (our_share IS NOT NULL))
);
-- Detection opens at most one live conflict per subject.
CREATE UNIQUE INDEX conflicts_live_subject ON conflicts (kind, subject)
    WHERE status IN ('open', 'investigating');
CREATE INDEX conflicts_queue_idx ON conflicts (status, at_stake DESC);
CREATE INDEX conflicts_track_idx ON conflicts (track_id);

-- Everything that happened to a conflict: opened, updated by detection, assigned,
-- noted, resolved, dismissed. Who (NULL for detection), when, what and why.
CREATE TABLE conflict_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conflict_id bigint NOT NULL REFERENCES conflicts (id),
    at          timestamptz NOT NULL DEFAULT now(),
    by_user     bigint REFERENCES users (id),
    action      text NOT NULL CHECK (action IN
                ('opened', 'updated', 'assigned', 'investigating', 'noted', 'resolved', 'dismissed')),
    note        text NOT NULL DEFAULT ''
);
CREATE INDEX conflict_events_conflict_idx ON conflict_events (conflict_id, at);

-- A conflict's holds. Deciding one settles its holds: our_share of what they cover is
-- ours (split by the contract), the rest is allocated to other_party, from then on.
ALTER TABLE revenue_holds
    ADD COLUMN conflict_id bigint REFERENCES conflicts (id),
    ADD COLUMN our_share numeric CHECK (our_share >= 0 AND our_share <= 1),
    ADD COLUMN other_party text,
    ADD CONSTRAINT revenue_holds_settled CHECK (our_share IS NULL OR released_at IS NOT NULL),
    ADD CONSTRAINT revenue_holds_other_party CHECK ((our_share < 1) = (other_party IS NOT NULL));
CREATE INDEX revenue_holds_conflict_idx ON revenue_holds (conflict_id);
CREATE INDEX revenue_holds_settled_idx ON revenue_holds (track_id) WHERE our_share < 1;

-- What conflicts' open holds hold now, row by row of the ledger, with each part in the
-- reporting currency (NULL while its rate is missing).
CREATE VIEW conflict_held AS
SELECT h.conflict_id, a.accounting_month, a.platform, a.territory, a.gross, a.currency,
       to_reporting(a.gross, a.currency, a.accounting_month) AS reporting
FROM revenue_holds h
JOIN allocations a ON a.track_id = h.track_id AND a.state = 'held'
 AND a.hold_reason = 'conflict' AND h.territory IN ('WW', a.territory)
 AND a.accounting_month >= h.from_month
 AND (h.to_month IS NULL OR a.accounting_month <= h.to_month)
WHERE h.released_at IS NULL;

-- Revenue decided to be another party's: allocated, to them, never to our payees.
ALTER TABLE allocations
    DROP CONSTRAINT allocations_beneficiary_check,
    ADD CONSTRAINT allocations_beneficiary_check
        CHECK (beneficiary IN ('payee', 'distributor', 'undivided', 'other_party')),
    ADD COLUMN party text,
    ADD CONSTRAINT allocations_party CHECK ((beneficiary = 'other_party') = (party IS NOT NULL));
