-- Data freshness and restatements (keep in step with migrations/sqlite/0009_freshness.sql).

-- Per source and stream: through when its data is complete (the start of the last run that
-- read it to its end, less the vendor's delay), its last success, and its failures since.
-- A sync registers its source's streams first (complete_through NULL until one completes),
-- so a stream never read to its end shows as incomplete.
CREATE TABLE stream_freshness (
    source           TEXT    NOT NULL,
    stream           TEXT    NOT NULL,
    complete_through TIMESTAMPTZ,
    last_success_at  TIMESTAMPTZ,
    last_error       TEXT,
    last_error_at    TIMESTAMPTZ,
    failing_since    TIMESTAMPTZ,
    PRIMARY KEY (source, stream)
);

-- The headline figures a team was told about a period (by its digest, or by a later
-- digest's restatement of it): what the next digest compares the period's figures with.
CREATE TABLE told_figures (
    team     TEXT    NOT NULL,
    period   TEXT    NOT NULL,
    told_at  TIMESTAMPTZ NOT NULL,
    figures  JSONB   NOT NULL,
    PRIMARY KEY (team, period)
);

-- When each ticket and rating was first stored, and when a ticket was first stored as
-- deleted, merged or spam: a restatement names the facts of a period that arrived or went
-- after its digest was sent (our own clock, never the vendor's). NULL for rows stored
-- before this migration.
ALTER TABLE tickets ADD COLUMN first_seen_at TIMESTAMPTZ;
ALTER TABLE tickets ADD COLUMN removed_seen_at TIMESTAMPTZ;
ALTER TABLE ratings ADD COLUMN first_seen_at TIMESTAMPTZ;
