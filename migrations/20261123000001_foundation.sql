-- Foundation: who can log in, and the catalog they see.
-- Identifiers are validated in Rust at the edge (app::domain); the checks here are the
-- last line of defence, so that no path into the database can store a malformed one.

CREATE TABLE labels (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (btrim(name) <> ''),
    -- ISO 4217: revenue, balances and statements of this label are kept in it.
    accounting_currency char(3) NOT NULL DEFAULT 'USD' CHECK (accounting_currency ~ '^[A-Z]{3}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX labels_name_key ON labels (lower(name));

-- An artist is a payee with a public name; which label they release on is a property
-- of each release, not of the artist (artists move and collaborate across labels).
CREATE TABLE artists (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (btrim(name) <> ''),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX artists_name_key ON artists (lower(name));

CREATE TABLE releases (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    label_id    bigint NOT NULL REFERENCES labels (id),
    artist_id   bigint NOT NULL REFERENCES artists (id),
    -- GTIN-13: a 12-digit UPC-A is stored with its leading zero, so one product has one key.
    upc         char(13) NOT NULL UNIQUE CHECK (upc ~ '^[0-9]{13}$'),
    title       text NOT NULL CHECK (btrim(title) <> ''),
    release_date date,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX releases_label_id_idx ON releases (label_id);
CREATE INDEX releases_artist_id_idx ON releases (artist_id);

CREATE TABLE tracks (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    release_id  bigint NOT NULL REFERENCES releases (id),
    -- Stored without dashes, upper case: CC XXX YY NNNNN.
    isrc        char(12) NOT NULL UNIQUE CHECK (isrc ~ '^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$'),
    title       text NOT NULL CHECK (btrim(title) <> ''),
    track_number integer NOT NULL CHECK (track_number > 0),
    duration_seconds integer CHECK (duration_seconds > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (release_id, track_number)
);

-- Who performs on a track. An artist sees exactly the tracks listed here for them.
CREATE TABLE track_artists (
    track_id    bigint NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    artist_id   bigint NOT NULL REFERENCES artists (id),
    role        text NOT NULL CHECK (role IN ('main', 'featured')),
    PRIMARY KEY (track_id, artist_id)
);
CREATE INDEX track_artists_artist_id_idx ON track_artists (artist_id);

CREATE TABLE users (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL CHECK (email = lower(btrim(email)) AND email LIKE '%_@_%'),
    password_hash text NOT NULL,
    role        text NOT NULL CHECK (role IN ('artist', 'label_manager', 'staff')),
    artist_id   bigint REFERENCES artists (id),
    label_id    bigint REFERENCES labels (id),
    disabled    boolean NOT NULL DEFAULT false,
    -- Set when staff chose the password: the user must pick their own before anything else.
    must_change_password boolean NOT NULL DEFAULT false,
    -- Sessions remember the epoch they were opened in; bumping it ends them all.
    session_epoch integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    -- An artist login belongs to exactly one artist, a label manager to one label, staff to neither.
    CONSTRAINT users_role_link CHECK (
        (role = 'artist' AND artist_id IS NOT NULL AND label_id IS NULL) OR
        (role = 'label_manager' AND label_id IS NOT NULL AND artist_id IS NULL) OR
        (role = 'staff' AND artist_id IS NULL AND label_id IS NULL)
    )
);
CREATE UNIQUE INDEX users_email_key ON users (email);

-- Every login attempt, kept for throttling and for the audit of who tried what.
CREATE TABLE login_attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL,
    ip          text NOT NULL,
    succeeded   boolean NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_email_at_idx ON login_attempts (email, at);
CREATE INDEX login_attempts_ip_at_idx ON login_attempts (ip, at);

-- The session store's table, created here rather than at start-up so that the schema
-- has one owner (these migrations). Same layout as tower-sessions-sqlx-store expects.
CREATE SCHEMA IF NOT EXISTS tower_sessions;
CREATE TABLE IF NOT EXISTS tower_sessions.session (
    id          text PRIMARY KEY NOT NULL,
    data        bytea NOT NULL,
    expiry_date timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS session_expiry_date_idx ON tower_sessions.session (expiry_date);
