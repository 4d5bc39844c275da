-- Ingest writes fewer index entries: reports read per-ticket facts (ticket_facts, open_spans)
-- since 0005, and no query reads messages or status changes by time any more, so these two
-- indexes only cost a b-tree insert per row synced (a third of a message's write).
DROP INDEX messages_created;
DROP INDEX status_changes_at;
