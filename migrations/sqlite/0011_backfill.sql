-- The recent window first (keep in step with migrations/postgres/0011_backfill.sql).
--
-- A first sync may read a stream's recent window first and backfill the history before it
-- afterwards (crates/connector/src/runner.rs, Leg). Until the backfill reaches it, the
-- window's start is kept here: the stream's data is complete only from this instant on,
-- and a killed first sync resumes the same window. NULL: the whole history is read.
ALTER TABLE stream_freshness ADD COLUMN complete_from INTEGER;
