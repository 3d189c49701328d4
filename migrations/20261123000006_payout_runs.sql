-- Payout runs and statements: what each payee of a label is owed for a period, from
-- draft to paid. See app/src/payouts/ and docs/revenue.md.

CREATE TABLE payout_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    label_id    bigint NOT NULL REFERENCES labels (id),
    -- Earnings of accounting months up to and including this one; earlier months'
    -- late changes show up as adjustments on the next run.
    period_end  date NOT NULL CHECK (extract(day FROM period_end) = 1),
    -- The first month new to this run (the month after the previous run's end).
    period_start date NOT NULL CHECK (extract(day FROM period_start) = 1),
    -- The label's accounting currency, in which every amount of the run is.
    currency    char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- Its minor unit's digits (2 for USD, 0 for JPY): what payable amounts round to.
    minor_digits smallint NOT NULL CHECK (minor_digits BETWEEN 0 AND 4),
    status      text NOT NULL DEFAULT 'draft'
                CHECK (status IN ('draft', 'submitted', 'approved', 'paid')),
    created_by  bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    calculated_at timestamptz NOT NULL DEFAULT now(),
    submitted_by bigint REFERENCES users (id),
    submitted_at timestamptz,
    approved_by bigint REFERENCES users (id),
    approved_at timestamptz,
    paid_by     bigint REFERENCES users (id),
    paid_at     timestamptz,
    -- Why staff sent a submitted run back to draft, the last time they did.
    returned_note text,
    CHECK (period_start <= period_end),
    CHECK (status IN ('draft', 'submitted') OR approved_at IS NOT NULL),
    CHECK (status <> 'paid' OR paid_at IS NOT NULL)
);
-- One run in the making per label: statements are worked out against the approved ones.
CREATE UNIQUE INDEX payout_runs_one_open ON payout_runs (label_id)
    WHERE status IN ('draft', 'submitted');
CREATE INDEX payout_runs_label_idx ON payout_runs (label_id, period_end DESC);

-- A payee's statement in a run. All amounts exact, in the run's currency except
-- `payable`, which is rounded down to the currency's minor unit; what rounding and the
-- minimum payout leave is carried, exactly, to the next statement.
CREATE TABLE payout_statements (
    run_id      bigint NOT NULL REFERENCES payout_runs (id) ON DELETE CASCADE,
    payee_id    bigint NOT NULL REFERENCES payees (id),
    -- The previous approved statement's carried amount.
    opening     numeric NOT NULL,
    -- The payee's share of revenue (allocated and held) not on an approved statement yet.
    earnings    numeric NOT NULL,
    -- Of that, the change in what is held back (negative when holds were released).
    held        numeric NOT NULL,
    recouped    numeric NOT NULL CHECK (recouped >= 0),
    closing     numeric NOT NULL,
    payable     numeric NOT NULL CHECK (payable >= 0),
    carried     numeric NOT NULL,
    -- Advances not yet recouped once this statement is approved.
    advance_balance numeric NOT NULL CHECK (advance_balance >= 0),
    PRIMARY KEY (run_id, payee_id),
    CONSTRAINT payout_statements_closing CHECK (closing = opening + earnings - held - recouped),
    CONSTRAINT payout_statements_carried CHECK (carried = closing - payable)
);
CREATE INDEX payout_statements_payee_idx ON payout_statements (payee_id);

-- A statement's lines: the change since the payee's last approved statement per track,
-- platform, territory and accounting month.
CREATE TABLE statement_lines (
    run_id      bigint NOT NULL,
    payee_id    bigint NOT NULL,
    track_id    bigint NOT NULL REFERENCES tracks (id),
    platform    text NOT NULL REFERENCES platforms (code),
    territory   char(2) NOT NULL,
    accounting_month date NOT NULL,
    units       bigint NOT NULL,
    earnings    numeric NOT NULL,
    held        numeric NOT NULL,
    -- `earnings` rounded so that a statement's lines sum to its rounded earnings
    -- (largest remainder): what a printed statement shows.
    earnings_rounded numeric NOT NULL,
    PRIMARY KEY (run_id, payee_id, track_id, platform, territory, accounting_month),
    -- Checked at commit: a run's lines are written first and its statements summed
    -- from them.
    FOREIGN KEY (run_id, payee_id) REFERENCES payout_statements (run_id, payee_id)
        ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);

-- An approved run is final: its statements and lines never change again (corrections
-- are new ledger entries, which the next run states), and it can only be marked paid.
CREATE FUNCTION refuse_changes_to_final_runs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    run bigint;
    final boolean;
BEGIN
    IF TG_TABLE_NAME = 'payout_runs' THEN
        IF OLD.status IN ('approved', 'paid') AND NOT (
            TG_OP = 'UPDATE' AND OLD.status = 'approved' AND NEW.status = 'paid'
            AND (NEW.label_id, NEW.period_start, NEW.period_end, NEW.currency, NEW.approved_at)
                IS NOT DISTINCT FROM
                (OLD.label_id, OLD.period_start, OLD.period_end, OLD.currency, OLD.approved_at)
        ) THEN
            RAISE EXCEPTION 'payout run % is % and cannot change', OLD.id, OLD.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'payout_runs_final';
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    run := CASE WHEN TG_OP = 'INSERT' THEN NEW.run_id ELSE OLD.run_id END;
    SELECT status IN ('approved', 'paid') INTO final FROM payout_runs WHERE id = run;
    IF final THEN
        RAISE EXCEPTION 'payout run % is final; its statements cannot change', run
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payout_runs_final';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER payout_runs_final BEFORE UPDATE OR DELETE ON payout_runs
    FOR EACH ROW EXECUTE FUNCTION refuse_changes_to_final_runs();
CREATE TRIGGER payout_statements_final BEFORE INSERT OR UPDATE OR DELETE ON payout_statements
    FOR EACH ROW EXECUTE FUNCTION refuse_changes_to_final_runs();
CREATE TRIGGER statement_lines_final BEFORE INSERT OR UPDATE OR DELETE ON statement_lines
    FOR EACH ROW EXECUTE FUNCTION refuse_changes_to_final_runs();
