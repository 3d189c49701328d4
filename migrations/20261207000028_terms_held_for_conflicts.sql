-- A file's terms held for a conflict, found without reading the file's other terms:
-- detection updates the held amounts of the conflicts holding a file's revenue, which
-- before meant reading every one of the file's facts (1.4 s of the 6 s detection took
-- after a 1M-line file, 4 s after a 10M-line month; docs/benchmarking.md). Few terms
-- are held for a conflict, so the index is small and costs allocation little.
CREATE INDEX terms_held_for_conflict_idx ON terms (report_file_id)
    WHERE hold_reason = 'conflict';
