-- Customers and manual inputs, Postgres dialect (keep in step with
-- migrations/sqlite/0002_inputs.sql).

-- Per-install values. `install_secret` (hex, 32 bytes from the OS RNG) keys the e-mail
-- hashes: created on first use, never exported by `dump`, never logged.
CREATE TABLE meta (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

-- A requester as the helpdesk knows them. Only the keyed hash of the e-mail address is kept.
CREATE TABLE customers (
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL CHECK (external_id <> ''),
    email_hash  TEXT,
    PRIMARY KEY (source, external_id)
);

-- Imported monthly figures of a team; one row per month and currency.
CREATE TABLE costs (
    team     TEXT NOT NULL,
    month    TEXT NOT NULL CHECK (char_length(month) = 7),
    currency TEXT NOT NULL CHECK (currency <> ''),
    amount   DOUBLE PRECISION NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (team, month, currency)
);
CREATE TABLE revenue (
    team     TEXT NOT NULL,
    month    TEXT NOT NULL CHECK (char_length(month) = 7),
    currency TEXT NOT NULL CHECK (currency <> ''),
    amount   DOUBLE PRECISION NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (team, month, currency)
);

-- Imported subscriptions: one row per (customer, start); `ended_at` NULL while active.
CREATE TABLE subscriptions (
    team        TEXT    NOT NULL,
    customer_id TEXT    NOT NULL CHECK (customer_id <> ''),
    started_at  TIMESTAMPTZ NOT NULL,
    ended_at    TIMESTAMPTZ CHECK (ended_at IS NULL OR ended_at >= started_at),
    PRIMARY KEY (team, customer_id, started_at)
);
-- The subscriptions around a period: those started before its end.
CREATE INDEX subscriptions_started ON subscriptions (team, started_at);

-- Imported orders; the customer is the keyed hash of the order's e-mail address.
CREATE TABLE orders (
    team          TEXT    NOT NULL,
    order_id      TEXT    NOT NULL CHECK (order_id <> ''),
    customer_hash TEXT    NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    amount        DOUBLE PRECISION NOT NULL CHECK (amount >= 0),
    currency      TEXT    NOT NULL CHECK (currency <> ''),
    PRIMARY KEY (team, order_id)
);
CREATE INDEX orders_created ON orders (team, created_at);

-- Reviews of a period: created in it, or still unanswered, or answered since its start.
CREATE INDEX reviews_unanswered ON reviews (source, created_at) WHERE replied_at IS NULL;
CREATE INDEX reviews_replied ON reviews (source, replied_at);
-- Social observations of a period (the last one before it uses the primary key).
CREATE INDEX social_stats_observed ON social_stats (source, observed_at);
