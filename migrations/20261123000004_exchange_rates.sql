-- Monthly exchange rates: one unit of from_currency is worth `rate` units of
-- to_currency in that accounting month. Revenue is converted with them into each
-- label's accounting currency and the distributor's reporting currency.
CREATE TABLE exchange_rates (
    month       date NOT NULL CHECK (extract(day FROM month) = 1),
    from_currency char(3) NOT NULL CHECK (from_currency ~ '^[A-Z]{3}$'),
    to_currency char(3) NOT NULL CHECK (to_currency ~ '^[A-Z]{3}$'),
    rate        numeric NOT NULL CHECK (rate > 0),
    -- Where the figure came from: an import's file name, or 'manual'.
    source      text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (month, from_currency, to_currency),
    CHECK (from_currency <> to_currency)
);
