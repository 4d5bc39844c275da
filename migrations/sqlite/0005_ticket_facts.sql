-- Per-ticket facts kept at ingest (keep in step with migrations/postgres/0005_ticket_facts.sql).
--
-- Derived from tickets, messages, status_changes and agents by the metrics crate, marked out
-- of date in the transaction of every batch that touches them and derived again in batches (see crates/storage/src/facts.rs), and
-- rebuilt by `Store::open` when meta.facts_version is not the code's. A report reads these by
-- index range instead of every message of every candidate ticket.
CREATE TABLE ticket_facts (
    source           TEXT    NOT NULL,
    ticket_id        TEXT    NOT NULL,
    excluded         BOOLEAN NOT NULL,
    created_at       INTEGER NOT NULL,
    final_solved_at  INTEGER,
    -- First and last reply-time sample of the ticket (either bot setting).
    first_replied_at INTEGER,
    last_replied_at  INTEGER,
    -- Compact JSON of the derived facts; written and read only by the storage crate.
    data             TEXT    NOT NULL,
    PRIMARY KEY (source, ticket_id)
);
-- A report's three ranges: created, finally solved, replied to in the period. The second and
-- third carry the columns their filters test, so only the rows they keep are read.
CREATE INDEX ticket_facts_created ON ticket_facts (source, created_at);
CREATE INDEX ticket_facts_solved ON ticket_facts (source, final_solved_at, created_at);
CREATE INDEX ticket_facts_replied ON ticket_facts (source, last_replied_at, first_replied_at, created_at, final_solved_at);
-- Spam, deleted and merged tickets, for leaving out their ratings.
CREATE INDEX ticket_facts_excluded ON ticket_facts (source, ticket_id) WHERE excluded;

-- When each ticket was open: in the backlog at t when opened_at <= t < closed_at (NULL: open
-- now). Excluded tickets have none. The backlog at t is a count over an index range.
CREATE TABLE open_spans (
    source    TEXT    NOT NULL,
    ticket_id TEXT    NOT NULL,
    opened_at INTEGER NOT NULL,
    closed_at INTEGER,
    PRIMARY KEY (source, ticket_id, opened_at)
);
CREATE INDEX open_spans_closed ON open_spans (source, closed_at, opened_at);

-- Tickets whose facts are out of date: marked by the batch that touched them, in its own
-- transaction; cleared by the refresh that derives them again (at the end of a sync, and
-- before any report reads facts). A work queue, not data: `dump` leaves it out.
CREATE TABLE facts_dirty (
    source    TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    PRIMARY KEY (source, ticket_id)
);
