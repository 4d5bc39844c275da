-- deskpulse schema, SQLite dialect (keep in step with migrations/postgres/0001_initial.sql).
--
-- Every fact is keyed by its source and the external system's id, so every write is an
-- idempotent upsert. Times are INTEGER microseconds since the Unix epoch (UTC): exact, and
-- they sort and range-scan correctly (sqlx's default text format has a variable width and
-- does not). Enums are stored as their `as_str()` names; tags as a JSON array of strings.

CREATE TABLE tickets (
    source          TEXT    NOT NULL,
    external_id     TEXT    NOT NULL CHECK (external_id <> ''),
    channel         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    first_solved_at INTEGER,
    final_solved_at INTEGER,
    reopens         INTEGER,
    opened_by_agent BOOLEAN,
    requester_id    TEXT,
    assignee_id     TEXT,
    group_id        TEXT,
    tags            TEXT    NOT NULL,
    priority        TEXT,
    PRIMARY KEY (source, external_id)
);
-- Candidate tickets of a report period: created in it, updated since its start, or still open.
CREATE INDEX tickets_created ON tickets (source, created_at);
CREATE INDEX tickets_updated ON tickets (source, updated_at);
CREATE INDEX tickets_unsolved ON tickets (source, created_at) WHERE status NOT IN ('solved', 'closed');

CREATE TABLE messages (
    source      TEXT    NOT NULL,
    external_id TEXT    NOT NULL CHECK (external_id <> ''),
    ticket_id   TEXT    NOT NULL,
    author_kind TEXT    NOT NULL,
    author_id   TEXT,
    is_public   BOOLEAN NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (source, external_id)
);
CREATE INDEX messages_ticket ON messages (source, ticket_id);
CREATE INDEX messages_created ON messages (source, created_at, ticket_id);

CREATE TABLE status_changes (
    source      TEXT    NOT NULL,
    external_id TEXT    NOT NULL CHECK (external_id <> ''),
    ticket_id   TEXT    NOT NULL,
    from_status TEXT,
    to_status   TEXT    NOT NULL,
    author_kind TEXT    NOT NULL,
    author_id   TEXT,
    changed_at  INTEGER NOT NULL,
    PRIMARY KEY (source, external_id)
);
CREATE INDEX status_changes_ticket ON status_changes (source, ticket_id);
CREATE INDEX status_changes_at ON status_changes (source, changed_at, ticket_id);

CREATE TABLE agents (
    source      TEXT    NOT NULL,
    external_id TEXT    NOT NULL CHECK (external_id <> ''),
    name        TEXT    NOT NULL,
    is_bot      BOOLEAN NOT NULL,
    PRIMARY KEY (source, external_id)
);

CREATE TABLE ratings (
    source      TEXT    NOT NULL,
    external_id TEXT    NOT NULL CHECK (external_id <> ''),
    kind        TEXT    NOT NULL,
    score       REAL    NOT NULL,
    scale_min   REAL    NOT NULL,
    scale_max   REAL    NOT NULL,
    ticket_id   TEXT,
    agent_id    TEXT,
    comment     TEXT,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (source, external_id)
);
CREATE INDEX ratings_created ON ratings (source, created_at);

CREATE TABLE reviews (
    source      TEXT    NOT NULL,
    platform    TEXT    NOT NULL,
    external_id TEXT    NOT NULL CHECK (external_id <> ''),
    rating      REAL    NOT NULL,
    title       TEXT,
    review_text TEXT,
    author_name TEXT,
    created_at  INTEGER NOT NULL,
    reply_text  TEXT,
    replied_at  INTEGER,
    url         TEXT,
    PRIMARY KEY (source, platform, external_id)
);
CREATE INDEX reviews_created ON reviews (source, created_at);

CREATE TABLE social_stats (
    source      TEXT    NOT NULL,
    platform    TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    metric      TEXT    NOT NULL,
    value       REAL    NOT NULL,
    observed_at INTEGER NOT NULL,
    PRIMARY KEY (source, platform, account, metric, observed_at)
);

-- Where each stream stands; written in the same transaction as the records it follows.
CREATE TABLE checkpoints (
    source TEXT NOT NULL,
    stream TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (source, stream)
);
