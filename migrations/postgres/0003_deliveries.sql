-- The digest delivery log, Postgres dialect (keep in step with
-- migrations/sqlite/0003_deliveries.sql).
--
-- One row per (team, period, channel): claimed in state 'sending' before the send, moved to
-- 'sent' after it, deleted when the send failed. The primary key is what makes exactly one
-- claimer win: a claim is an insert that conflicts on it. `token` identifies the claim, so a
-- process whose claim was taken over (`--force`) can neither confirm nor release it.
CREATE TABLE digest_deliveries (
    team       TEXT    NOT NULL CHECK (team <> ''),
    period     TEXT    NOT NULL CHECK (period <> ''),
    channel    TEXT    NOT NULL CHECK (channel <> ''),
    state      TEXT    NOT NULL CHECK (state IN ('sending', 'sent')),
    claimed_at TIMESTAMPTZ NOT NULL,
    sent_at    TIMESTAMPTZ,
    token      TEXT    NOT NULL CHECK (token <> ''),
    PRIMARY KEY (team, period, channel),
    CHECK ((state = 'sent') = (sent_at IS NOT NULL))
);
