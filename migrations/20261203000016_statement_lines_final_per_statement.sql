-- An approved run's lines are still final, but checked once per statement instead of
-- once per line: a draft's calculation writes (and a recalculation deletes) every line
-- of a label's statements, and the row trigger's lookup of the run was a second of a
-- 94,000-line draft's nine on the slow CI machine.
DROP TRIGGER statement_lines_final ON statement_lines;

CREATE FUNCTION refuse_changes_to_final_lines() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    run bigint;
BEGIN
    -- A statement's transition tables are only those its trigger names.
    IF TG_OP = 'INSERT' THEN
        SELECT r.id INTO run FROM payout_runs r
        WHERE r.status IN ('approved', 'paid') AND r.id IN (SELECT run_id FROM new_lines)
        LIMIT 1;
    ELSE
        SELECT r.id INTO run FROM payout_runs r
        WHERE r.status IN ('approved', 'paid') AND r.id IN (SELECT run_id FROM old_lines)
        LIMIT 1;
    END IF;
    IF run IS NULL AND TG_OP = 'UPDATE' THEN
        SELECT r.id INTO run FROM payout_runs r
        WHERE r.status IN ('approved', 'paid') AND r.id IN (SELECT run_id FROM new_lines)
        LIMIT 1;
    END IF;
    IF run IS NOT NULL THEN
        RAISE EXCEPTION 'payout run % is final; its statements cannot change', run
            USING ERRCODE = 'check_violation', CONSTRAINT = 'payout_runs_final';
    END IF;
    RETURN NULL;
END
$$;

-- A trigger with transition tables fires for one event only.
CREATE TRIGGER statement_lines_final_insert AFTER INSERT ON statement_lines
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_changes_to_final_lines();
CREATE TRIGGER statement_lines_final_update AFTER UPDATE ON statement_lines
    REFERENCING OLD TABLE AS old_lines NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_changes_to_final_lines();
CREATE TRIGGER statement_lines_final_delete AFTER DELETE ON statement_lines
    REFERENCING OLD TABLE AS old_lines
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_changes_to_final_lines();
