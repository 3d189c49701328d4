-- What allocation decided, at the grain it decides it: per file, track, month and
-- reported currency, with a row of its own for each territory that a hold or a settled
-- share names. The ledger repeats those decisions once per fact group (nearly a row
-- per fact), and writing a row per fact is what allocation cannot do fast enough:
-- about 4 s a million rows here before any index (docs/benchmarking.md, "Allocation:
-- why the grain must change"). A fact's money is its gross times its terms.
--
-- For now allocation writes terms beside the ledger, and the tests check that the
-- facts times their terms are the ledger, grain by grain, after every operation. The
-- ledger becomes a view over them next (docs/benchmarking.md lists the steps); a
-- database allocated before this migration gets its files' terms then, since nothing
-- reads them until that step.
CREATE TABLE terms (
    report_file_id bigint NOT NULL,
    accounting_month date NOT NULL,
    -- NULL only in suspense: the lines matched no catalog track.
    track_id    bigint,
    currency    char(3) NOT NULL,
    -- NULL: every territory of the key without a row of its own, which `exceptions`
    -- lists (NULL when there are none). A territory's own row has no exceptions.
    territory   char(2),
    exceptions  char(2)[],
    state       text NOT NULL CHECK (state IN ('allocated', 'held', 'suspense')),
    hold_reason text CHECK (hold_reason IN ('conflict', 'no_contract', 'missing_rate')),
    contract_id bigint,
    fee         numeric,
    label_id    bigint,
    label_currency char(3),
    rate        numeric,
    -- Our share of the facts' gross; the rest is `other_party`'s, by a decided conflict.
    ours        numeric NOT NULL CHECK (ours >= 0 AND ours <= 1),
    other_party text,
    CONSTRAINT terms_suspense_untracked CHECK ((state = 'suspense') = (track_id IS NULL)),
    CONSTRAINT terms_held_reason CHECK ((state = 'held') = (hold_reason IS NOT NULL)),
    CONSTRAINT terms_fee CHECK ((contract_id IS NULL) = (fee IS NULL)),
    CONSTRAINT terms_exceptions CHECK (territory IS NULL OR exceptions IS NULL),
    CONSTRAINT terms_other_party CHECK ((ours < 1) = (other_party IS NOT NULL))
);

CREATE UNIQUE INDEX terms_key
    ON terms (coalesce(track_id, 0), accounting_month, report_file_id, currency,
              coalesce(territory, ''));
CREATE INDEX terms_report_file_id_idx ON terms (report_file_id);
CREATE INDEX terms_label_month_idx ON terms (label_id, accounting_month);
