-- Repair for databases that applied a pre-release 0009_leaders.sql (landed at stop 13, changed
-- before the leaders feature shipped). Applied once, by the migration runner, only to a database
-- at version 9 or later that lacks `engagement_credit`. At that release nothing wrote to the
-- tables rebuilt here (leader, circle_plan, leader_sync), so they are empty; their rows are
-- still copied, never dropped.

DROP INDEX engagement_by_day;
CREATE INDEX engagement_by_day ON engagement_daily (guild_id, day, count);

CREATE TABLE engagement_credit (
    guild_id    INTEGER NOT NULL,
    ref         TEXT NOT NULL,
    user_id     INTEGER NOT NULL,
    day         TEXT NOT NULL,
    PRIMARY KEY (guild_id, ref, user_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE leader_repaired (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    nomination_id   INTEGER REFERENCES leader_nomination (id),
    status          TEXT NOT NULL DEFAULT 'active'
                        CHECK (status IN ('active', 'stepped_down', 'removed', 'left')),
    since           TEXT NOT NULL,
    ended_at        TEXT,
    end_reason      TEXT,
    ended_by        INTEGER,
    reviewed_at     TEXT
) STRICT;
INSERT INTO leader_repaired (id, guild_id, user_id, nomination_id, status, since, ended_at,
        end_reason, reviewed_at)
    SELECT id, guild_id, user_id, nomination_id, status, since, ended_at, end_reason, reviewed_at
    FROM leader;
DROP TABLE leader;
ALTER TABLE leader_repaired RENAME TO leader;
CREATE UNIQUE INDEX leader_active ON leader (guild_id, user_id) WHERE status = 'active';

CREATE TABLE circle_plan_repaired (
    guild_id    INTEGER PRIMARY KEY,
    plan        TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_by  INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    channel_id  INTEGER,
    started_at  TEXT,
    applied_at  TEXT,
    cleaned_at  TEXT,
    progress    TEXT NOT NULL DEFAULT '{}'
) STRICT;
-- An old plan has no fingerprint: '' never matches, so /circles apply asks for a new plan.
INSERT INTO circle_plan_repaired (guild_id, plan, fingerprint, created_by, created_at)
    SELECT guild_id, plan, '', created_by, created_at FROM circle_plan;
DROP TABLE circle_plan;
ALTER TABLE circle_plan_repaired RENAME TO circle_plan;

CREATE INDEX circle_checkin_by_leader ON circle_checkin (guild_id, leader_id, at);

CREATE TABLE leader_sync_repaired (
    guild_id        INTEGER PRIMARY KEY,
    every           TEXT NOT NULL CHECK (every IN ('week', '2weeks', 'month')),
    anchor_local    TEXT NOT NULL,
    timezone        TEXT NOT NULL,
    next_starts_at  TEXT NOT NULL,
    duration_min    INTEGER NOT NULL DEFAULT 45,
    channel_id      INTEGER,
    host_id         INTEGER NOT NULL,
    session_id      INTEGER REFERENCES founder_session (id) ON DELETE SET NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;
-- An old sync keeps its next start as its anchor (UTC wall clock).
INSERT INTO leader_sync_repaired (guild_id, every, anchor_local, timezone, next_starts_at,
        duration_min, host_id, session_id, created_at, updated_at)
    SELECT guild_id, every, substr(next_starts_at, 1, 19), 'UTC', next_starts_at, duration_min,
        host_id, session_id, created_at, updated_at FROM leader_sync;
DROP TABLE leader_sync;
ALTER TABLE leader_sync_repaired RENAME TO leader_sync;
