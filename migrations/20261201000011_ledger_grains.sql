-- The ledger at its grain. `allocations` held a row per part of each fact group (the
-- distributor's fee and every payee's split: three rows a group in a typical catalog),
-- and writing them was most of what allocation could not do faster: the benchmark's
-- single INSERT ... SELECT of those rows alone took 24 s for a million facts. A part
-- is a product of its group's gross and the contract's fee and shares, so the table
-- now keeps one row per group (ours, and another party's decided part if any) with
-- the fee it was allocated under, and `allocations` becomes a view that writes the
-- parts out, with the same columns and values as the table had. Everything that read
-- the table reads the view unchanged.
CREATE TABLE ledger (
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
    hold_reason text CHECK (hold_reason IN ('conflict', 'no_contract', 'missing_rate')),
    -- The contract in force, and its distribution fee when this was allocated; the
    -- payees' parts are its splits' shares of the rest.
    contract_id bigint,
    fee         numeric,
    label_id    bigint,
    units       bigint NOT NULL,
    -- Ours: the group's gross less what a decided conflict gave another party; or
    -- that party's part.
    gross       numeric NOT NULL,
    label_currency char(3),
    -- Reported currency to label currency for the month; 1 when they are the same.
    rate        numeric,
    -- NULL for ours; the other party's name for their part, which is theirs whole.
    party       text,
    CONSTRAINT ledger_suspense_untracked CHECK ((state = 'suspense') = (track_id IS NULL)),
    CONSTRAINT ledger_held_reason CHECK ((state = 'held') = (hold_reason IS NOT NULL)),
    CONSTRAINT ledger_party_allocated CHECK (party IS NULL OR state = 'allocated'),
    CONSTRAINT ledger_fee CHECK ((contract_id IS NULL) = (fee IS NULL)),
    CONSTRAINT ledger_allocated_split CHECK (state <> 'allocated' OR party IS NOT NULL
        OR (contract_id IS NOT NULL AND rate IS NOT NULL))
);

-- A group's parts share its state, contract, rate and units: summed back into one row.
-- (Parts written out from a converted row may carry more trailing zeros than the table
-- had; their values are the same.)
INSERT INTO ledger
    (report_file_id, accounting_month, track_id, platform, territory, usage_type, currency,
     state, hold_reason, contract_id, fee, label_id, units, gross, label_currency, rate,
     party)
SELECT a.report_file_id, a.accounting_month, a.track_id, a.platform, a.territory,
       a.usage_type, a.currency, a.state, a.hold_reason, a.contract_id, c.distribution_fee,
       a.label_id, max(a.units), sum(a.gross), a.label_currency, a.rate, a.party
FROM allocations a
LEFT JOIN contracts c ON c.id = a.contract_id
GROUP BY a.report_file_id, a.accounting_month, a.track_id, a.platform, a.territory,
         a.usage_type, a.currency, a.state, a.hold_reason, a.contract_id,
         c.distribution_fee, a.label_id, a.label_currency, a.rate, a.party;

CREATE INDEX ledger_report_file_id_idx ON ledger (report_file_id);
CREATE INDEX ledger_track_month_idx ON ledger (track_id, accounting_month);
CREATE INDEX ledger_label_month_idx ON ledger (label_id, accounting_month);

DROP VIEW conflict_held;
DROP TABLE allocations;

-- The ledger's parts, as the table had them: the fee, each payee's split, the whole
-- group while it cannot be split (suspense, no contract, no rate), another party's.
-- Each is the product allocation wrote, in the same order of factors, so the values
-- are the same to the last digit.
CREATE VIEW allocations AS
SELECT l.report_file_id, l.accounting_month, l.track_id, l.platform, l.territory,
       l.usage_type, l.currency, l.state, l.hold_reason, 'distributor'::text AS beneficiary,
       NULL::bigint AS payee_id, l.contract_id, l.label_id, l.units, l.gross * l.fee AS gross,
       l.label_currency, l.rate, l.gross * l.fee * l.rate AS amount, NULL::text AS party
FROM ledger l
WHERE l.party IS NULL AND l.contract_id IS NOT NULL AND l.rate IS NOT NULL AND l.fee > 0
UNION ALL
SELECT l.report_file_id, l.accounting_month, l.track_id, l.platform, l.territory,
       l.usage_type, l.currency, l.state, l.hold_reason, 'payee', s.payee_id, l.contract_id,
       l.label_id, l.units, l.gross * (1 - l.fee) * s.share, l.label_currency, l.rate,
       l.gross * (1 - l.fee) * s.share * l.rate, NULL
FROM ledger l
JOIN contract_splits s ON s.contract_id = l.contract_id
WHERE l.party IS NULL AND l.rate IS NOT NULL
UNION ALL
SELECT l.report_file_id, l.accounting_month, l.track_id, l.platform, l.territory,
       l.usage_type, l.currency, l.state, l.hold_reason, 'undivided', NULL, l.contract_id,
       l.label_id, l.units, l.gross, l.label_currency, l.rate, l.gross * l.rate, NULL
FROM ledger l
WHERE l.party IS NULL AND (l.contract_id IS NULL OR l.rate IS NULL)
UNION ALL
SELECT l.report_file_id, l.accounting_month, l.track_id, l.platform, l.territory,
       l.usage_type, l.currency, l.state, l.hold_reason, 'other_party', NULL, l.contract_id,
       l.label_id, l.units, l.gross, l.label_currency, l.rate, l.gross * l.rate, l.party
FROM ledger l
WHERE l.party IS NOT NULL;

-- What conflicts' open holds hold now, per ledger group (its parts sum to its gross).
CREATE VIEW conflict_held AS
SELECT h.conflict_id, a.accounting_month, a.platform, a.territory, a.gross, a.currency,
       CASE WHEN a.currency = s.reporting_currency THEN a.gross ELSE a.gross * x.rate END
           AS reporting
FROM revenue_holds h
JOIN ledger a ON a.track_id = h.track_id AND a.state = 'held'
 AND a.hold_reason = 'conflict' AND h.territory IN ('WW', a.territory)
 AND a.accounting_month >= h.from_month
 AND (h.to_month IS NULL OR a.accounting_month <= h.to_month)
CROSS JOIN settings s
LEFT JOIN exchange_rates x
  ON x.month = a.accounting_month AND x.from_currency = a.currency
 AND x.to_currency = s.reporting_currency
WHERE h.released_at IS NULL;
