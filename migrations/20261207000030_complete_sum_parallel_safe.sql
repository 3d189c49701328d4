-- `complete_sum` as parallel safe, with its states combinable: an aggregate is parallel
-- unsafe unless it says otherwise, and one such call kept every statement using it
-- serial. A full detection's foreign claims (every line with a collecting party) may
-- then scan the facts with two workers: 2.6 -> 1.9 s over 11M lines (profile database).
-- Combining two partial sums is adding them, NULL if either is (a sum waiting for a
-- rate stays NULL). No view depends on it.
DROP AGGREGATE complete_sum(numeric);
CREATE AGGREGATE complete_sum(numeric) (
    SFUNC = add_or_null,
    STYPE = numeric,
    INITCOND = '0',
    COMBINEFUNC = add_or_null,
    PARALLEL = SAFE
);
