-- Scheduled ingestion: jobs that watch a folder, and their runs. Several server
-- processes may share the database; a run is claimed under a lease on its job, so a
-- job runs in one process at a time, and each scheduled slot gets one run.
-- See server/src/ingest/scheduler.rs.

CREATE TABLE ingestion_jobs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (btrim(name) <> ''),
    -- How files reach the folder: a platform's delivery, or staff uploading.
    source      text NOT NULL DEFAULT 'drop_folder' CHECK (source IN ('drop_folder', 'upload')),
    -- The platform whose reports arrive here; files of another platform still load,
    -- but freshness is judged by this one.
    platform    text REFERENCES platforms (code),
    -- The drop folder: absolute, or relative to the server's data folder.
    folder      text NOT NULL CHECK (btrim(folder) <> ''),
    -- A cron expression (minute hour day month weekday, optionally seconds first);
    -- NULL for a job that only runs when asked (uploads).
    schedule    text,
    enabled     boolean NOT NULL DEFAULT true,
    -- A month's report is expected within this many days of the month's end.
    freshness_days integer NOT NULL DEFAULT 45 CHECK (freshness_days > 0),
    -- The next scheduled slot not yet turned into a run.
    next_run_at timestamptz,
    -- The lease: while it holds, no other process starts a run of this job.
    lease_owner text,
    lease_expires_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ingestion_jobs_name_key ON ingestion_jobs (lower(name));

CREATE TABLE ingestion_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id      bigint NOT NULL REFERENCES ingestion_jobs (id),
    trigger     text NOT NULL
                  CHECK (trigger IN ('schedule', 'manual', 'retry', 'backfill', 'upload', 'confirm')),
    -- The slot this run serves: a schedule time, or when staff asked.
    scheduled_for timestamptz NOT NULL,
    attempt     integer NOT NULL DEFAULT 1 CHECK (attempt > 0),
    status      text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    -- Not to start before (retries wait out their backoff).
    not_before  timestamptz NOT NULL DEFAULT now(),
    -- A backfill loads the folder's files of this month, quarantined ones included.
    backfill_month date CHECK (extract(day FROM backfill_month) = 1),
    -- Load again files of this folder that were quarantined (staff pressed retry).
    retry_quarantined boolean NOT NULL DEFAULT false,
    -- A 'confirm' run: staff confirmed that this file supersedes the one it replaces.
    report_file_id bigint,
    worker      text,
    started_at  timestamptz,
    finished_at timestamptz,
    files_seen  integer NOT NULL DEFAULT 0,
    files_loaded integer NOT NULL DEFAULT 0,
    files_skipped integer NOT NULL DEFAULT 0,
    files_quarantined integer NOT NULL DEFAULT 0,
    -- Files that would supersede a loaded one and wait for staff to confirm.
    files_awaiting integer NOT NULL DEFAULT 0,
    facts_loaded bigint NOT NULL DEFAULT 0,
    error       text,
    -- While running: the run's own lease (renewed with the job's), so a run whose
    -- process died is found and failed even after its job was leased again.
    lease_expires_at timestamptz,
    requested_by bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- One run per scheduled slot and attempt, whoever planned it first.
    UNIQUE (job_id, scheduled_for, attempt)
);
CREATE INDEX ingestion_runs_queue_idx ON ingestion_runs (not_before) WHERE status = 'queued';
CREATE INDEX ingestion_runs_job_idx ON ingestion_runs (job_id, id DESC);

-- Which run brought a file in, when a job did.
ALTER TABLE report_files
    ADD COLUMN job_id bigint REFERENCES ingestion_jobs (id),
    ADD COLUMN run_id bigint REFERENCES ingestion_runs (id),
    -- Where the file was found (the drop folder's copy), for retries, confirmations
    -- and audits. Backbeat never deletes it.
    ADD COLUMN path text,
    -- A file for the same platform, sender and month as a loaded one replaces it, once
    -- staff confirm: the old file's facts are reversed and this one's loaded, together.
    ADD COLUMN supersedes_id bigint REFERENCES report_files (id),
    -- Who confirmed a supersede or withdrew a file, and when.
    ADD COLUMN decided_by bigint REFERENCES users (id),
    ADD COLUMN decided_at timestamptz;
ALTER TABLE ingestion_runs
    ADD FOREIGN KEY (report_file_id) REFERENCES report_files (id);
CREATE INDEX report_files_job_id_idx ON report_files (job_id);

-- Every installation takes uploads: staff's files land in the data folder's uploads/
-- and this job loads them.
INSERT INTO ingestion_jobs (name, folder, source) VALUES ('Uploads', 'uploads', 'upload');
