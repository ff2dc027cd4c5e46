-- Membership by introduction: settings, introductions (with their seats and the waitlist),
-- each person's stints in the community, and the invite snapshot used to attribute joins.

CREATE TABLE membership_settings (
    guild_id                INTEGER PRIMARY KEY,
    max_members             INTEGER NOT NULL DEFAULT 0 CHECK (max_members >= 0),  -- 0: no cap
    max_open_introductions  INTEGER NOT NULL DEFAULT 3
                                CHECK (max_open_introductions BETWEEN 1 AND 25),
    invite_max_age          INTEGER NOT NULL DEFAULT 604800
                                CHECK (invite_max_age BETWEEN 3600 AND 604800),    -- seconds
    sponsored_admission     TEXT NOT NULL DEFAULT 'auto'
                                CHECK (sponsored_admission IN ('auto', 'moderator')),
    unsponsored_admission   TEXT NOT NULL DEFAULT 'moderator'
                                CHECK (unsponsored_admission IN ('moderator', 'refuse')),
    pending_timeout         INTEGER NOT NULL DEFAULT 259200
                                CHECK (pending_timeout BETWEEN 3600 AND 2592000),  -- seconds
    rules_text              TEXT,                 -- NULL: the localized default rules
    rules_version           INTEGER NOT NULL DEFAULT 1,
    question_1              TEXT,                 -- NULL: the localized default question
    question_2              TEXT,
    question_3              TEXT,
    panel_channel_id        INTEGER,              -- the gate panel in the welcome channel
    panel_message_id        INTEGER,
    updated_at              TEXT NOT NULL
) STRICT;

-- waitlisted -> seated (a seat is reserved; the invite is being created) -> open (invite sent)
-- -> used (the newcomer joined) | arrived (its invite was used in a burst of joins that could
-- not be told apart: the seat moved to that join, the newcomer is unknown) | expired | revoked;
-- cancelled when no invite could be made.
CREATE TABLE introduction (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    sponsor_id      INTEGER NOT NULL,
    newcomer_name   TEXT NOT NULL,
    why             TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN
                        ('waitlisted', 'seated', 'open', 'used', 'arrived', 'expired', 'revoked',
                         'cancelled')),
    invite_code     TEXT UNIQUE,
    created_at      TEXT NOT NULL,
    seated_at       TEXT,
    expires_at      TEXT,
    closed_at       TEXT,
    newcomer_id     INTEGER
) STRICT;

CREATE INDEX introduction_by_status ON introduction (guild_id, status, id);
CREATE INDEX introduction_by_sponsor ON introduction (guild_id, sponsor_id, status);

-- One row per time a person joins. The current stint (pending or member) is unique per person.
CREATE TABLE member_stint (
    id                  INTEGER PRIMARY KEY,
    guild_id            INTEGER NOT NULL,
    user_id             INTEGER NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'member', 'left', 'refused')),
    source              TEXT NOT NULL CHECK (source IN
                            ('introduction', 'referral', 'invite', 'vanity', 'unknown', 'existing')),
    sponsor_id          INTEGER,
    introduction_id     INTEGER REFERENCES introduction (id),
    invite_code         TEXT,
    rejoin              INTEGER NOT NULL DEFAULT 0 CHECK (rejoin IN (0, 1)),
    joined_at           TEXT NOT NULL,
    admitted_at         TEXT,
    left_at             TEXT,
    end_reason          TEXT,       -- left, timeout, denied, full, removed
    rules_version       INTEGER,    -- the version of the rules the person accepted
    rules_accepted_at   TEXT,
    answers             TEXT,       -- JSON list of the person's answers to the gate questions
    submitted_at        TEXT,
    approval_message_id INTEGER,    -- the moderators' approval card, when admission is moderated
    -- Joined in a burst that used introductions' invites, but which one could not be told:
    -- no sponsor is guessed, and a moderator decides.
    maybe_introduced    INTEGER NOT NULL DEFAULT 0 CHECK (maybe_introduced IN (0, 1))
) STRICT;

CREATE UNIQUE INDEX member_stint_current ON member_stint (guild_id, user_id)
    WHERE status IN ('pending', 'member');
CREATE INDEX member_stint_by_user ON member_stint (guild_id, user_id, id);
CREATE INDEX member_stint_by_status ON member_stint (guild_id, status);

-- The guild's invites and their use counts as last seen, to tell which invite a join used.
CREATE TABLE invite_snapshot (
    guild_id    INTEGER NOT NULL,
    code        TEXT NOT NULL,
    uses        INTEGER NOT NULL,
    max_uses    INTEGER NOT NULL,       -- 0: unlimited
    inviter_id  INTEGER,
    expires_at  TEXT,
    is_vanity   INTEGER NOT NULL DEFAULT 0 CHECK (is_vanity IN (0, 1)),
    vanished_at TEXT,                   -- INVITE_DELETE seen; a join may still claim it
    PRIMARY KEY (guild_id, code)
) STRICT;
