-- Vendor values and deletion sweeps (keep in step with migrations/sqlite/0006_vendor_and_roster.sql).

-- The vendor's own per-ticket figures (Zendesk metric sets, Freshdesk stats, Intercom
-- statistics), in seconds after the ticket's creation. Read only by `deskpulse reconcile`,
-- never by a KPI. An older version (by the ticket's updated_at) never replaces a newer one.
CREATE TABLE vendor_metrics (
    source                            TEXT        NOT NULL,
    ticket_id                         TEXT        NOT NULL CHECK (ticket_id <> ''),
    updated_at                        TIMESTAMPTZ NOT NULL,
    first_response_seconds            BIGINT,
    first_response_business_seconds   BIGINT,
    first_resolution_seconds          BIGINT,
    first_resolution_business_seconds BIGINT,
    full_resolution_seconds           BIGINT,
    full_resolution_business_seconds  BIGINT,
    reopens                           BIGINT,
    replies                           BIGINT,
    PRIMARY KEY (source, ticket_id)
);

-- Set when a completed id sweep (Record::TicketRoster) no longer found the ticket in the
-- vendor's lists: the ticket counts as deleted from then on, while its own status stays as
-- the vendor last gave it, so a later sweep that lists it again restores it exactly.
ALTER TABLE tickets ADD COLUMN missing_since TIMESTAMPTZ;

-- The ids a running sweep has seen so far, per source; emptied when the sweep completes or
-- a new one starts. A work area, not data: `dump` leaves it out.
CREATE TABLE roster_seen (
    source           TEXT        NOT NULL,
    sweep_started_at TIMESTAMPTZ NOT NULL,
    ticket_id        TEXT        NOT NULL,
    PRIMARY KEY (source, sweep_started_at, ticket_id)
);
