-- payee_summary becomes a view. It repeated every revenue_summary row once per payee,
-- and writing it took two fifths of allocation's time (measured by `make bench`).
-- Each summary row has one contract (one is in force per track and month), and a
-- contract's splits sum to exactly one, so a payee's part of a row is exactly its share
-- of the payees' parts: revenue_summary keeps those parts (earned and held) and the
-- contract, and the view multiplies by each split's share.
ALTER TABLE revenue_summary
    -- The contract that split this row's revenue; NULL when nothing was split (suspense,
    -- no contract, or every line waiting for a rate).
    ADD COLUMN contract_id bigint,
    -- The units, earned and held amounts of the lines that were split to payees (label
    -- currency): NULL exactly when contract_id is.
    ADD COLUMN payee_units bigint,
    ADD COLUMN payee_earned numeric,
    ADD COLUMN payee_held numeric,
    ADD CONSTRAINT revenue_summary_split
        CHECK ((contract_id IS NULL) = (payee_units IS NULL)
               AND (payee_units IS NULL) = (payee_earned IS NULL)
               AND (payee_units IS NULL) = (payee_held IS NULL));

-- What the ledger split so far, as allocation now sums it (app/src/revenue/summary.rs).
WITH grains AS (
    SELECT a.accounting_month, a.track_id, a.platform, a.territory, a.usage_type,
           a.report_file_id, a.currency, max(a.units) AS units,
           max(a.contract_id) AS contract_id,
           sum(a.amount) FILTER (WHERE a.state = 'allocated') AS earned,
           sum(a.amount) FILTER (WHERE a.state = 'held') AS held
    FROM allocations a
    WHERE a.beneficiary = 'payee'
    GROUP BY 1, 2, 3, 4, 5, 6, 7
),
split AS (
    SELECT accounting_month, track_id, platform, territory, usage_type,
           max(contract_id) AS contract_id, sum(units)::bigint AS units,
           coalesce(sum(earned), 0) AS earned, coalesce(sum(held), 0) AS held
    FROM grains
    GROUP BY 1, 2, 3, 4, 5
)
UPDATE revenue_summary s
SET contract_id = p.contract_id, payee_units = p.units, payee_earned = p.earned,
    payee_held = p.held
FROM split p
WHERE s.accounting_month = p.accounting_month AND s.track_id = p.track_id
  AND s.platform = p.platform AND s.territory = p.territory AND s.usage_type = p.usage_type;

CREATE INDEX revenue_summary_contract_idx ON revenue_summary (contract_id, accounting_month)
    WHERE contract_id IS NOT NULL;

DROP TABLE payee_summary;

-- Per payee: what each payee earned and has held, per track (the table's columns).
CREATE VIEW payee_summary AS
SELECT s.accounting_month, sp.payee_id, s.track_id, s.platform, s.territory, s.usage_type,
       s.payee_units AS units, s.label_currency AS currency,
       -- trim_scale: the share's decimal places would only add trailing zeros to what
       -- exports and pages show.
       trim_scale(s.payee_earned * sp.share) AS earnings,
       trim_scale(s.payee_held * sp.share) AS held
FROM revenue_summary s
JOIN contract_splits sp ON sp.contract_id = s.contract_id;
