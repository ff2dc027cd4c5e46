-- Founder sessions: AMAs and 1:1 office hours with their Discord scheduled events, RSVPs,
-- reminders, the upvoted question queue, attendance; and members' notification choices.

CREATE TABLE session_settings (
    guild_id            INTEGER PRIMARY KEY,
    reminder_minutes    TEXT NOT NULL DEFAULT '[1440, 15]',  -- JSON: minutes before the start
    office_hours_mode   TEXT NOT NULL DEFAULT 'draw' CHECK (office_hours_mode IN ('draw', 'first_come')),
    request_window_min  INTEGER NOT NULL DEFAULT 1440 CHECK (request_window_min BETWEEN 0 AND 20160),
    updated_at          TEXT NOT NULL
) STRICT;

CREATE TABLE founder_session (
    id                  INTEGER PRIMARY KEY,
    guild_id            INTEGER NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('ama', 'office_hours')),
    title               TEXT NOT NULL,
    description         TEXT,
    host_id             INTEGER NOT NULL,
    starts_at           TEXT NOT NULL,                   -- ISO 8601, UTC
    ends_at             TEXT NOT NULL,
    channel_id          INTEGER,                         -- stage or voice channel; NULL: external
    location            TEXT,                            -- external events only
    capacity            INTEGER CHECK (capacity IS NULL OR capacity > 0),
    status              TEXT NOT NULL DEFAULT 'scheduled'
                            CHECK (status IN ('scheduled', 'active', 'completed', 'cancelled')),
    event_id            INTEGER,                         -- the Discord scheduled event
    post_channel_id     INTEGER,                         -- the announcement with the buttons
    post_message_id     INTEGER,
    questions_channel_id INTEGER,                        -- where questions are listed (a thread)
    started_at          TEXT,
    ended_at            TEXT,
    recap_posted_at     TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
) STRICT;

CREATE INDEX founder_session_by_start ON founder_session (guild_id, status, starts_at);
CREATE UNIQUE INDEX founder_session_by_event ON founder_session (event_id)
    WHERE event_id IS NOT NULL;

-- One row per member who said they come. Both the RSVP button and Discord's own "Interested"
-- lead here; `seq` orders the waitlist (first come, first moved up).
CREATE TABLE session_rsvp (
    session_id  INTEGER NOT NULL REFERENCES founder_session (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('going', 'waitlist')),
    via         TEXT NOT NULL CHECK (via IN ('button', 'event')),
    seq         INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (session_id, user_id)
) STRICT;

-- A reminder, per member and offset, is written before it is sent: it goes out once.
CREATE TABLE session_reminder (
    session_id  INTEGER NOT NULL REFERENCES founder_session (id) ON DELETE CASCADE,
    minutes     INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('claimed', 'dm', 'channel', 'off', 'failed')),
    sent_at     TEXT NOT NULL,
    PRIMARY KEY (session_id, minutes, user_id)
) STRICT;

-- Questions. session_id is NULL for the carried-over backlog, which the next session takes.
CREATE TABLE session_question (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    session_id  INTEGER REFERENCES founder_session (id) ON DELETE SET NULL,
    author_id   INTEGER NOT NULL,
    text        TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 300),
    status      TEXT NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'answered', 'skipped', 'merged')),
    merged_into INTEGER REFERENCES session_question (id),
    channel_id  INTEGER,                                 -- its listing message, with Upvote
    message_id  INTEGER,
    created_at  TEXT NOT NULL,
    closed_at   TEXT
) STRICT;

CREATE INDEX session_question_queue ON session_question (guild_id, session_id, status);

CREATE TABLE session_question_vote (
    question_id INTEGER NOT NULL REFERENCES session_question (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (question_id, user_id)
) STRICT;

-- Authors credited on a question (its own author, and those of the duplicates merged into it).
CREATE TABLE session_question_author (
    question_id INTEGER NOT NULL REFERENCES session_question (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    PRIMARY KEY (question_id, user_id)
) STRICT;

-- Voice or stage presence in the session's channel while it runs. `open_since` is set while the
-- member is in the channel; `seconds` sums the closed spans.
CREATE TABLE session_attendance (
    session_id  INTEGER NOT NULL REFERENCES founder_session (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    seconds     INTEGER NOT NULL DEFAULT 0,
    open_since  TEXT,
    PRIMARY KEY (session_id, user_id)
) STRICT;

-- Office hours: N one-to-one slots of one session.
CREATE TABLE office_hours_slot (
    session_id  INTEGER NOT NULL REFERENCES founder_session (id) ON DELETE CASCADE,
    slot        INTEGER NOT NULL,                        -- 0-based, in time order
    starts_at   TEXT NOT NULL,
    user_id     INTEGER,                                 -- NULL: free
    booked_at   TEXT,
    PRIMARY KEY (session_id, slot)
) STRICT;

CREATE UNIQUE INDEX office_hours_slot_member ON office_hours_slot (session_id, user_id)
    WHERE user_id IS NOT NULL;

CREATE TABLE office_hours_request (
    session_id  INTEGER NOT NULL REFERENCES founder_session (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    requested_at TEXT NOT NULL,
    line        INTEGER,                                 -- place in line after the draw
    state       TEXT NOT NULL DEFAULT 'waiting'
                    CHECK (state IN ('waiting', 'booked', 'withdrawn')),
    PRIMARY KEY (session_id, user_id)
) STRICT;

-- Typed-in schedules waiting for "schedule anyway" after an overlap warning.
CREATE TABLE session_draft (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    payload     TEXT NOT NULL,                           -- JSON
    created_at  TEXT NOT NULL
) STRICT;

-- Which DMs a person wants. No row: sessions and feedback on, digest off.
CREATE TABLE notification_pref (
    user_id     INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('sessions', 'feedback', 'digest')),
    enabled     INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
) STRICT;
