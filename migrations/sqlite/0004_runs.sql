-- Daemon run records and the single-daemon lease, SQLite dialect: times are integer
-- microseconds since 1970 (keep in step with migrations/postgres/0004_runs.sql).
--
-- job_runs: one row per scheduled run of a job ('sync:SOURCE' or 'digest:TEAM') and slot
-- (the tick's scheduled instant, the same on every instance). The primary key is what makes
-- each tick run exactly once across daemons: a run is claimed by an insert that conflicts on
-- it. A row without finished_at is running, or its process died (the next slot runs anyway).
CREATE TABLE job_runs (
    job         TEXT    NOT NULL CHECK (job <> ''),
    slot        INTEGER NOT NULL,
    owner       TEXT    NOT NULL CHECK (owner <> ''),
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    outcome     TEXT    CHECK (outcome IN ('ok', 'failed', 'cancelled')),
    records     INTEGER,
    error       TEXT,
    PRIMARY KEY (job, slot),
    CHECK ((outcome IS NULL) = (finished_at IS NULL))
);

-- daemon_lease: at most one row, the daemon that owns a SQLite database (Postgres allows
-- several daemons and does not use it). A lease whose heartbeat is stale may be taken over,
-- so a crashed daemon never blocks a restart for long.
CREATE TABLE daemon_lease (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    owner        TEXT    NOT NULL CHECK (owner <> ''),
    pid          INTEGER NOT NULL,
    host         TEXT    NOT NULL,
    acquired_at  INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
);
