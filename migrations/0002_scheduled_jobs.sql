-- Durable timers: deadlines, reminders and timeouts are rows, re-armed when the bot starts.
-- A job is claimed (deleted) in the same transaction that decides to run it, so it runs once.

CREATE TABLE scheduled_job (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,                -- the handler, e.g. 'membership.pending_timeout'
    key         TEXT NOT NULL,                -- unique per kind: scheduling again replaces it
    guild_id    INTEGER,
    due_at      TEXT NOT NULL,                -- ISO 8601, UTC
    payload     TEXT NOT NULL DEFAULT '{}',   -- JSON
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    UNIQUE (kind, key)
) STRICT;

CREATE INDEX scheduled_job_due ON scheduled_job (due_at);
