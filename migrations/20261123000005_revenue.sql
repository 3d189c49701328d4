-- Revenue: who is paid (payees), on which terms (contracts and their splits), what they
-- were advanced, who claims which share of a track (ownership claims), what is held
-- back (holds), and the ledger that allocation writes. See app/src/revenue/ and
-- docs/revenue.md. Shares and fees are fractions: 0.15 is 15%.

-- For the exclusion constraints that keep one contract in force per release or track.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Someone a label pays: its artists, featured artists, producers, and the label itself.
CREATE TABLE payees (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    label_id    bigint NOT NULL REFERENCES labels (id),
    name        text NOT NULL CHECK (btrim(name) <> ''),
    kind        text NOT NULL CHECK (kind IN ('artist', 'featured_artist', 'producer', 'label')),
    -- The artist whose logins see this payee's statements.
    artist_id   bigint REFERENCES artists (id),
    currency    char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- Below this a statement's payable amount is carried to the next run instead.
    minimum_payout numeric NOT NULL DEFAULT 0 CHECK (minimum_payout >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX payees_label_name_key ON payees (label_id, lower(name));
CREATE INDEX payees_artist_id_idx ON payees (artist_id);

-- The terms for a release, or for one track (which then overrides its release's), from
-- one accounting month to another (inclusive; open-ended when valid_to is NULL).
CREATE TABLE contracts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    release_id  bigint REFERENCES releases (id),
    track_id    bigint REFERENCES tracks (id),
    -- The distributor's part of converted gross, taken before the splits.
    distribution_fee numeric NOT NULL
        CHECK (distribution_fee >= 0 AND distribution_fee < 1 AND distribution_fee = round(distribution_fee, 4)),
    valid_from  date NOT NULL CHECK (extract(day FROM valid_from) = 1),
    valid_to    date CHECK (extract(day FROM valid_to) = 1 AND valid_to >= valid_from),
    note        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT contracts_one_subject CHECK ((release_id IS NULL) <> (track_id IS NULL)),
    CONSTRAINT contracts_release_overlap EXCLUDE USING gist
        (release_id WITH =, daterange(valid_from, valid_to, '[]') WITH &&) WHERE (release_id IS NOT NULL),
    CONSTRAINT contracts_track_overlap EXCLUDE USING gist
        (track_id WITH =, daterange(valid_from, valid_to, '[]') WITH &&) WHERE (track_id IS NOT NULL)
);

CREATE TABLE contract_splits (
    contract_id bigint NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    payee_id    bigint NOT NULL REFERENCES payees (id),
    share       numeric NOT NULL CHECK (share > 0 AND share <= 1 AND share = round(share, 6)),
    PRIMARY KEY (contract_id, payee_id)
);
CREATE INDEX contract_splits_payee_id_idx ON contract_splits (payee_id);

-- A contract's splits sum to exactly 1 and pay only its label's payees. Checked at
-- commit, so a contract and its splits can be written in any order in one transaction.
CREATE FUNCTION check_contract_splits() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    contract bigint;
    total numeric;
    strangers bigint;
BEGIN
    IF TG_TABLE_NAME = 'contracts' THEN
        contract := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        contract := OLD.contract_id;
    ELSE
        contract := NEW.contract_id;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM contracts WHERE id = contract) THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(sum(s.share), 0),
           count(*) FILTER (WHERE p.label_id IS DISTINCT FROM
               (SELECT r.label_id FROM contracts c
                LEFT JOIN tracks t ON t.id = c.track_id
                JOIN releases r ON r.id = coalesce(c.release_id, t.release_id)
                WHERE c.id = contract))
      INTO total, strangers
      FROM contract_splits s JOIN payees p ON p.id = s.payee_id
     WHERE s.contract_id = contract;
    IF total <> 1 THEN
        RAISE EXCEPTION 'the splits of contract % sum to %, not 1', contract, total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'contract_splits_sum';
    END IF;
    IF strangers > 0 THEN
        RAISE EXCEPTION 'contract % splits to a payee of another label', contract
            USING ERRCODE = 'check_violation', CONSTRAINT = 'contract_splits_label';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER contracts_splits_sum AFTER INSERT OR UPDATE ON contracts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_contract_splits();
CREATE CONSTRAINT TRIGGER contract_splits_sum AFTER INSERT OR UPDATE OR DELETE ON contract_splits
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_contract_splits();

-- Money paid to a payee ahead of earnings, recouped from their share before anything
-- is payable. In the payee's label's accounting currency.
CREATE TABLE advances (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payee_id    bigint NOT NULL REFERENCES payees (id),
    amount      numeric NOT NULL CHECK (amount > 0),
    paid_on     date NOT NULL,
    note        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- The same advance imported twice is one advance.
CREATE UNIQUE INDEX advances_key ON advances (payee_id, paid_on, amount);

-- Who holds which share of a track, where and when, and on whose word. Conflict
-- detection (issue 6) reads these; shares over 100% for one place and time conflict.
CREATE TABLE ownership_claims (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    track_id    bigint NOT NULL REFERENCES tracks (id),
    party       text NOT NULL CHECK (btrim(party) <> ''),
    share       numeric NOT NULL CHECK (share > 0 AND share <= 1),
    -- ISO 3166-1 alpha-2 codes, or {WW} for worldwide.
    territories char(2)[] NOT NULL CHECK (cardinality(territories) > 0),
    valid_from  date NOT NULL,
    valid_to    date CHECK (valid_to >= valid_from),
    source      text NOT NULL CHECK (source IN ('delivery', 'platform_report', 'manual')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- One claim per party, start and source on a track: importing it again updates it.
CREATE UNIQUE INDEX ownership_claims_key ON ownership_claims (track_id, lower(party), valid_from, source);

-- Revenue of a track held back (from one accounting month, to another or open-ended, in
-- one territory or WW for all) until someone decides whose it is. Released, not deleted.
CREATE TABLE revenue_holds (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    track_id    bigint NOT NULL REFERENCES tracks (id),
    territory   char(2) NOT NULL CHECK (territory ~ '^[A-Z]{2}$'),
    from_month  date NOT NULL CHECK (extract(day FROM from_month) = 1),
    to_month    date CHECK (extract(day FROM to_month) = 1 AND to_month >= from_month),
    reason      text NOT NULL CHECK (btrim(reason) <> ''),
    created_by  bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    released_at timestamptz,
    released_by bigint REFERENCES users (id),
    release_note text
);
CREATE INDEX revenue_holds_open_idx ON revenue_holds (track_id) WHERE released_at IS NULL;

-- The allocation ledger: what allocation made of the facts, at the grain report file x
-- payee x track x platform x territory x usage type x accounting month. Rows are
-- derived: allocation replaces a file's rows (or some tracks' rows of it) in one
-- statement, so running it twice changes nothing. Every fact lands in exactly one
-- state; for each file and currency, facts' gross = allocated + held + suspense.
-- No foreign keys, as in stream_facts: their checks cost four times the allocation
-- itself, and the one statement that writes these rows reads every id from its table.
CREATE TABLE allocations (
    report_file_id bigint NOT NULL,
    accounting_month date NOT NULL,
    -- NULL only in suspense: the lines matched no catalog track.
    track_id    bigint,
    platform    text NOT NULL,
    territory   char(2) NOT NULL,
    usage_type  text NOT NULL,
    -- The reported currency, which `gross` is in.
    currency    char(3) NOT NULL,
    state       text NOT NULL CHECK (state IN ('allocated', 'held', 'suspense')),
    -- Why a held row is held: an open hold on the track (conflict), no contract in
    -- force for its month, or no exchange rate into the label's currency for its month.
    hold_reason text CHECK (hold_reason IN ('conflict', 'no_contract', 'missing_rate')),
    -- Whose part this is: a payee's split, the distributor's fee, or the whole amount
    -- when it cannot be split yet (suspense, no contract, missing rate).
    beneficiary text NOT NULL CHECK (beneficiary IN ('payee', 'distributor', 'undivided')),
    payee_id    bigint,
    contract_id bigint,
    label_id    bigint,
    -- The grain's units (repeated on each part: a split shares money, not streams).
    units       bigint NOT NULL,
    gross       numeric NOT NULL,
    label_currency char(3),
    -- Reported currency to label currency for the month; 1 when they are the same.
    rate        numeric,
    -- gross x rate, exactly: the part in the label's currency. NULL without a rate.
    amount      numeric,
    CONSTRAINT allocations_suspense_untracked CHECK ((state = 'suspense') = (track_id IS NULL)),
    CONSTRAINT allocations_held_reason CHECK ((state = 'held') = (hold_reason IS NOT NULL)),
    CONSTRAINT allocations_payee CHECK ((beneficiary = 'payee') = (payee_id IS NOT NULL)),
    CONSTRAINT allocations_amount CHECK ((amount IS NULL) = (rate IS NULL)),
    CONSTRAINT allocations_allocated_split CHECK (state <> 'allocated' OR beneficiary <> 'undivided')
);
CREATE INDEX allocations_report_file_id_idx ON allocations (report_file_id);
CREATE INDEX allocations_payee_month_idx ON allocations (payee_id, accounting_month)
    WHERE payee_id IS NOT NULL;
CREATE INDEX allocations_track_month_idx ON allocations (track_id, accounting_month);
CREATE INDEX allocations_label_month_idx ON allocations (label_id, accounting_month);
