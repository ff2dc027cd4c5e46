-- Community leaders: engagement signals (counts per member and day, never content), leader
-- settings and opt-outs, nominations with consent, leaders, circles, check-ins, reviews, and the
-- recurring founder-leader syncs.

CREATE TABLE leader_settings (
    guild_id                INTEGER PRIMARY KEY,
    members_per_leader      INTEGER NOT NULL DEFAULT 15 CHECK (members_per_leader BETWEEN 2 AND 200),
    alert_at                INTEGER NOT NULL DEFAULT 30 CHECK (alert_at BETWEEN 2 AND 100000),
    retention_days          INTEGER NOT NULL DEFAULT 180 CHECK (retention_days BETWEEN 30 AND 730),
    review_weeks            INTEGER NOT NULL DEFAULT 4 CHECK (review_weeks BETWEEN 1 AND 26),
    charter_text            TEXT,                     -- NULL: the localized default charter
    -- The suggestion score's weights (README explains each part).
    weight_breadth          REAL NOT NULL DEFAULT 2.0 CHECK (weight_breadth BETWEEN 0 AND 10),
    weight_consistency      REAL NOT NULL DEFAULT 3.0 CHECK (weight_consistency BETWEEN 0 AND 10),
    weight_introductions    REAL NOT NULL DEFAULT 2.0 CHECK (weight_introductions BETWEEN 0 AND 10),
    weight_attendance       REAL NOT NULL DEFAULT 2.0 CHECK (weight_attendance BETWEEN 0 AND 10),
    weight_feedback         REAL NOT NULL DEFAULT 1.0 CHECK (weight_feedback BETWEEN 0 AND 10),
    weight_tenure           REAL NOT NULL DEFAULT 1.0 CHECK (weight_tenure BETWEEN 0 AND 10),
    alerted_gap             INTEGER NOT NULL DEFAULT 0,  -- the gap the last scale alert reported
    updated_at              TEXT NOT NULL
) STRICT;

-- Daily aggregates of what members do. Counts only: who, where (a channel, for messages), which
-- day and how many. Never what was written.
CREATE TABLE engagement_daily (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    day         TEXT NOT NULL,                        -- YYYY-MM-DD, UTC
    kind        TEXT NOT NULL CHECK (kind IN
                    ('message', 'rsvp_kept', 'attendance_minutes', 'introduction_stayed',
                     'feedback_item', 'feedback_upvote', 'vote')),
    channel_id  INTEGER NOT NULL DEFAULT 0,           -- messages only; 0 for the other kinds
    count       INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (guild_id, user_id, day, kind, channel_id)
) STRICT, WITHOUT ROWID;

-- Windows of days: with `count` (and, as in any index of a WITHOUT ROWID table, the key's other
-- columns) it answers every question about a period without touching the table.
CREATE INDEX engagement_by_day ON engagement_daily (guild_id, day, count);

-- Participation credited once only: 'poll:<id>' (a poll or survey a member voted in, so a changed
-- or withdrawn-and-repeated vote is no new signal; cleared when the poll closes) and
-- 'session:<id>' (user 0: a session's attendance was credited). A reference and a day, never
-- a choice.
CREATE TABLE engagement_credit (
    guild_id    INTEGER NOT NULL,
    ref         TEXT NOT NULL,
    user_id     INTEGER NOT NULL,
    day         TEXT NOT NULL,                        -- YYYY-MM-DD, UTC (a session's: pruned
                                                      -- with the counts; a poll's: at its close)
    PRIMARY KEY (guild_id, ref, user_id)
) STRICT, WITHOUT ROWID;

-- Members who asked not to be suggested as leaders.
CREATE TABLE leader_optout (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;

-- pending -> accepted | declined | expired | withdrawn (the member left, or became a leader).
CREATE TABLE leader_nomination (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    nominated_by    INTEGER NOT NULL,
    circle_id       INTEGER,                          -- the circle offered, if any
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                        ('pending', 'accepted', 'declined', 'expired', 'withdrawn')),
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    decided_at      TEXT,
    channel_id      INTEGER,                          -- where the charter was delivered
    message_id      INTEGER
) STRICT;

CREATE UNIQUE INDEX leader_nomination_open ON leader_nomination (guild_id, user_id)
    WHERE status = 'pending';
CREATE INDEX leader_nomination_by_member ON leader_nomination (guild_id, user_id, status);

-- One row per time a member is a leader; the active one is unique per member.
CREATE TABLE leader (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    nomination_id   INTEGER REFERENCES leader_nomination (id),
    status          TEXT NOT NULL DEFAULT 'active'
                        CHECK (status IN ('active', 'stepped_down', 'removed', 'left')),
    since           TEXT NOT NULL,
    ended_at        TEXT,
    end_reason      TEXT,                             -- a founder's reason for a removal
    ended_by        INTEGER,                          -- the founder who removed them
    reviewed_at     TEXT                              -- the last review that flagged them
) STRICT;

CREATE UNIQUE INDEX leader_active ON leader (guild_id, user_id) WHERE status = 'active';

-- A small group of members with one leader (or none, while it waits for one).
CREATE TABLE circle (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    name            TEXT NOT NULL,
    leader_id       INTEGER,                          -- a user id; NULL: open, waiting for one
    channel_id      INTEGER,                          -- its private thread or channel
    created_at      TEXT NOT NULL,
    closed_at       TEXT
) STRICT;

CREATE INDEX circle_by_guild ON circle (guild_id, closed_at);

CREATE TABLE circle_member (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    circle_id   INTEGER NOT NULL REFERENCES circle (id) ON DELETE CASCADE,
    added_at    TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;

CREATE INDEX circle_member_by_circle ON circle_member (circle_id);

-- The last plan shown by /circles plan, applied as shown by /circles apply. Apply records
-- each thread as it is made, so that running it again after a crash resumes.
CREATE TABLE circle_plan (
    guild_id    INTEGER PRIMARY KEY,
    plan        TEXT NOT NULL,                        -- JSON: the circles as shown
    fingerprint TEXT NOT NULL,                        -- the members, sponsors, leaders and
                                                      -- circles it was made from
    created_by  INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    channel_id  INTEGER,                              -- where apply makes the threads
    started_at  TEXT,                                 -- apply began
    applied_at  TEXT,                                 -- the circles and members are written
    cleaned_at  TEXT,                                 -- threads left and closed: all done
    progress    TEXT NOT NULL DEFAULT '{}'            -- JSON: threads made, filled, circle ids
) STRICT;

-- A leader reached out to a member of their circle.
CREATE TABLE circle_checkin (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    circle_id   INTEGER REFERENCES circle (id) ON DELETE SET NULL,
    leader_id   INTEGER NOT NULL,
    member_id   INTEGER NOT NULL,
    at          TEXT NOT NULL
) STRICT;

CREATE INDEX circle_checkin_by_circle ON circle_checkin (guild_id, circle_id, at);
CREATE INDEX circle_checkin_by_member ON circle_checkin (guild_id, member_id);
CREATE INDEX circle_checkin_by_leader ON circle_checkin (guild_id, leader_id, at);

-- The recurring founder-leader sync: one founder session at a time, the next made when it ends.
CREATE TABLE leader_sync (
    guild_id        INTEGER PRIMARY KEY,
    every           TEXT NOT NULL CHECK (every IN ('week', '2weeks', 'month')),
    -- The first sync as a wall-clock time (naive ISO) in `timezone`: every later one is this
    -- time of day, so a DST change never moves it, and a month's is on the same day (or the
    -- month's last day, for the 29th to the 31st).
    anchor_local    TEXT NOT NULL,
    timezone        TEXT NOT NULL,
    next_starts_at  TEXT NOT NULL,                    -- ISO 8601, UTC: the current one's start
    duration_min    INTEGER NOT NULL DEFAULT 45,
    channel_id      INTEGER,                          -- stage or voice channel; NULL: external
    host_id         INTEGER NOT NULL,
    session_id      INTEGER REFERENCES founder_session (id) ON DELETE SET NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;

-- A founder session may be for leaders only (the syncs).
ALTER TABLE founder_session ADD COLUMN audience TEXT NOT NULL DEFAULT 'all'
    CHECK (audience IN ('all', 'leaders'));
