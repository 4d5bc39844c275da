-- Public comments, mentions and recommendations (keep in step with migrations/sqlite/0008_social_interactions.sql).

-- A customer's public comment on a brand's post, mention of the brand, or recommendation, and
-- when the brand's own account first replied. No text is stored; the author only as a keyed
-- hash (HMAC-SHA256 with the install secret, as customers' e-mail addresses). The earliest
-- reply time any sync saw is kept.
CREATE TABLE social_interactions (
    source      TEXT    NOT NULL,
    platform    TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    external_id TEXT    NOT NULL CHECK (external_id <> ''),
    kind        TEXT    NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    author_hash TEXT,
    positive    BOOLEAN,
    replied_at  TIMESTAMPTZ,
    deleted     BOOLEAN NOT NULL,
    PRIMARY KEY (source, platform, external_id)
);
CREATE INDEX social_interactions_created ON social_interactions (source, created_at);
