-- The weekly digest (the community newsletter): its schedule, a ledger that makes each week's
-- digest go out once, the DMs to members who opted in, and the member spotlight.
--
-- A "week" is the ISO week ('2026-W45') of the digest's scheduled date in the guild's time zone.
-- The digest day runs 0 (Monday) to 6 (Sunday), as ISO weeks do, so each week has exactly one
-- scheduled moment and each moment one week, whatever the time zone or schedule in force.

CREATE TABLE digest_settings (
    guild_id        INTEGER PRIMARY KEY,
    enabled         INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    day             INTEGER NOT NULL DEFAULT 0 CHECK (day BETWEEN 0 AND 6),    -- 0: Monday
    hour            INTEGER NOT NULL DEFAULT 9 CHECK (hour BETWEEN 0 AND 23),  -- local time
    channel_id      INTEGER,                          -- NULL: the announcements channel
    -- The first week the schedule owes a digest (set when it is turned on): earlier weeks are
    -- never caught up, so turning the digest on never posts one at once.
    start_week      TEXT,
    -- When the founders were told the digest channel can't be posted in; cleared by the next
    -- digest that goes out or a change of settings: they are told once until it is fixed.
    unpostable_told_at TEXT,
    updated_at      TEXT NOT NULL
) STRICT;

-- One row per guild and week, written (claimed) before anything is posted: a week's digest goes
-- out at most once, whether scheduled or sent by hand. 'skipped': missed by more than a day (the
-- bot was offline) or its channel stayed unpostable until then; never sent late.
CREATE TABLE digest_run (
    guild_id        INTEGER NOT NULL,
    week            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('claimed', 'sent', 'skipped')),
    via             TEXT NOT NULL CHECK (via IN ('schedule', 'manual')),
    reason          TEXT CHECK (reason IS NULL OR reason IN ('offline', 'unpostable')),
    since           TEXT,                             -- the content window [since, until), UTC
    until           TEXT,
    channel_id      INTEGER,
    message_id      INTEGER,                          -- the first message of the post
    claimed_at      TEXT NOT NULL,
    sent_at         TEXT,
    PRIMARY KEY (guild_id, week)
) STRICT, WITHOUT ROWID;

-- The digest by DM: one row per member and week, written before the DM is sent (a restart in
-- the middle of the fan-out resumes it and never sends anyone a second copy). Pruned after 8
-- weeks.
CREATE TABLE digest_dm (
    guild_id        INTEGER NOT NULL,
    week            TEXT NOT NULL,
    user_id         INTEGER NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('claimed', 'dm', 'fallback', 'failed')),
    at              TEXT NOT NULL,
    PRIMARY KEY (guild_id, week, user_id)
) STRICT, WITHOUT ROWID;

-- The member spotlight the team writes for the next digest (one waiting per guild: a new one
-- replaces it). `week` is set by the digest that carries it.
CREATE TABLE digest_spotlight (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    member_id       INTEGER NOT NULL,
    text            TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 1000),
    author_id       INTEGER,                          -- NULL once the author was forgotten
    created_at      TEXT NOT NULL,
    week            TEXT
) STRICT;

CREATE UNIQUE INDEX digest_spotlight_waiting ON digest_spotlight (guild_id) WHERE week IS NULL;
CREATE INDEX digest_spotlight_by_member ON digest_spotlight (guild_id, member_id);
CREATE INDEX digest_spotlight_by_author ON digest_spotlight (guild_id, author_id);
