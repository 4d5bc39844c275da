-- Review platforms' own overall figures (keep in step with migrations/sqlite/0007_rating_snapshots.sql).

-- What a review platform said of the business as a whole (its overall rating and total
-- review count, either unknown where the API gives none) and how much of its reviews the
-- connector can read (`full`, `recent_window`, `aggregate_sample`). No platform keeps a
-- history of these, so one row per platform, account and UTC day (`YYYY-MM-DD`) is kept:
-- a later sync of the same day replaces it, and trends come from these rows.
CREATE TABLE rating_snapshots (
    source         TEXT    NOT NULL,
    platform       TEXT    NOT NULL,
    account        TEXT    NOT NULL,
    day            TEXT    NOT NULL,
    overall_rating DOUBLE PRECISION,
    total_reviews  BIGINT,
    coverage       TEXT    NOT NULL,
    observed_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, platform, account, day)
);
