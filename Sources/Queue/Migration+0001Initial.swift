extension Migration {
    /// `schema/0001-initial.sql`, embedded so that the binary needs no files beside it.
    static let initial = Migration(
        name: "0001-initial",
        sql: #"""
            -- ocibatch queue and audit store, first version.
            -- Times are UTC text of one fixed width, 'YYYY-MM-DDTHH:MM:SS.mmmZ', so they sort and compare as
            -- text (WHERE ended_at >= '2024-05-01' works). JSON columns hold UTF-8 JSON text.

            -- Marks the file as an ocibatch database ('OCIB' in its header); checked before anything is written.
            PRAGMA application_id = 1329809730;

            -- Every migration applied to this database, by name, in order.
            CREATE TABLE schema_migrations (
                name TEXT PRIMARY KEY,              -- file name without '.sql', e.g. '0001-initial'
                applied_at TEXT NOT NULL            -- when this database received it
            ) STRICT;

            -- One row per execution of a plan. Running the same plan again resumes its unfinished run.
            CREATE TABLE runs (
                id INTEGER PRIMARY KEY,             -- run number shown to users (`--run ID`)
                plan_name TEXT NOT NULL,            -- the plan's "name"
                plan_hash TEXT NOT NULL,            -- hash of the plan's content; finds the run to resume
                plan_json TEXT NOT NULL CHECK (json_valid(plan_json)), -- the plan as run, for `resume` and audits
                created_at TEXT NOT NULL,           -- when the run started
                finished_at TEXT,                   -- when it reached 'finished' or 'failed'; NULL before
                state TEXT NOT NULL DEFAULT 'running'
                    CHECK (state IN ('running', 'finished', 'interrupted', 'failed'))
                    -- running: work may remain; interrupted: stopped by a signal, resumable;
                    -- finished: every step succeeded or was skipped; failed: done, some step failed or is dead
            ) STRICT;

            CREATE INDEX runs_unfinished_by_plan ON runs (plan_hash, state);

            -- One idempotent unit of work. Input and result are opaque JSON owned by the engine.
            CREATE TABLE steps (
                id INTEGER PRIMARY KEY,
                run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                job_id TEXT NOT NULL,               -- the plan job that produced this step
                kind TEXT NOT NULL
                    CHECK (kind IN ('load', 'mutate', 'push', 'delete', 'discover', 'noop')),
                idempotency_key TEXT NOT NULL,      -- derived from the step's inputs; planning twice adds nothing
                input TEXT NOT NULL CHECK (json_valid(input)), -- what the executor needs, as JSON
                state TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'running', 'succeeded', 'skipped', 'failed', 'dead')),
                    -- succeeded, skipped, failed and dead are final;
                    -- failed = can never work, dead = out of attempts
                attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0), -- attempts begun (a crash counts once)
                max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),   -- the retry budget
                next_attempt_at TEXT NOT NULL,      -- a pending step is not claimed before this time (backoff)
                lease_owner TEXT,                   -- worker holding a running step; NULL otherwise
                lease_expires_at TEXT,              -- after this a running step may be claimed by someone else
                last_error TEXT,                    -- message of the latest failed attempt (never secrets)
                result TEXT CHECK (result IS NULL OR json_valid(result)), -- what the executor returned, as JSON
                digest TEXT,                        -- digest of what the step produced or touched
                media_type TEXT,                    -- its media type
                size INTEGER CHECK (size IS NULL OR size >= 0), -- its size in bytes
                source TEXT,                        -- reference the step reads from (transport syntax)
                target TEXT,                        -- reference the step writes to or deletes
                started_at TEXT,                    -- first claim
                finished_at TEXT,                   -- when it reached a final state
                UNIQUE (run_id, idempotency_key),
                CHECK ((state = 'running') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
            ) STRICT;

            -- Finds claimable work: pending steps by due time, running steps by lease expiry.
            CREATE INDEX steps_claimable ON steps (state, next_attempt_at);
            CREATE INDEX steps_leased ON steps (state, lease_expires_at);
            CREATE INDEX steps_by_run ON steps (run_id, job_id, state);

            -- A step runs only after every step it depends on succeeded or was skipped.
            CREATE TABLE step_deps (
                step_id INTEGER NOT NULL REFERENCES steps (id) ON DELETE CASCADE,    -- the waiting step
                depends_on INTEGER NOT NULL REFERENCES steps (id) ON DELETE CASCADE, -- the step it waits for
                PRIMARY KEY (step_id, depends_on),
                CHECK (step_id <> depends_on)
            ) STRICT, WITHOUT ROWID;

            CREATE INDEX step_deps_by_dependency ON step_deps (depends_on, step_id);

            -- Exactly one record per step that reached a final state: what happened to which image, when.
            -- Columns are copied rather than joined so that the history outlives pruned runs and steps.
            CREATE TABLE audit (
                id INTEGER PRIMARY KEY,
                run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL,
                step_id INTEGER REFERENCES steps (id) ON DELETE SET NULL,
                job_id TEXT NOT NULL,               -- plan job
                op TEXT NOT NULL,                   -- the step kind: load, mutate, push, delete, discover, noop
                source TEXT,                        -- reference read from
                target TEXT,                        -- reference written or deleted
                digest TEXT,                        -- manifest digest pushed, deleted or loaded
                media_type TEXT,                    -- its media type
                size INTEGER,                       -- its size in bytes
                outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'skipped', 'failed', 'dead')),
                attempts INTEGER NOT NULL,          -- attempts the step took (0: failed before it could start)
                started_at TEXT,                    -- first attempt; NULL if it never started
                ended_at TEXT NOT NULL,             -- when the outcome was recorded
                error TEXT,                         -- why it failed, or a note on a skip
                details TEXT CHECK (details IS NULL OR json_valid(details)) -- executor extras, as JSON
            ) STRICT;

            -- One final record per step, enforced by the database itself.
            CREATE UNIQUE INDEX audit_one_per_step ON audit (step_id);
            CREATE INDEX audit_by_time ON audit (ended_at);
            CREATE INDEX audit_by_run ON audit (run_id, ended_at);
            CREATE INDEX audit_by_job ON audit (job_id, ended_at);
            CREATE INDEX audit_by_digest ON audit (digest);
            CREATE INDEX audit_by_source ON audit (source);
            CREATE INDEX audit_by_target ON audit (target);

            """#)
}
