-- Foundation: per-guild configuration, member preferences, and the bot's own bookkeeping.

CREATE TABLE guild_config (
    guild_id    INTEGER PRIMARY KEY,
    locale      TEXT,
    timezone    TEXT NOT NULL DEFAULT 'UTC',
    updated_at  TEXT NOT NULL
) STRICT;

CREATE TABLE guild_channel (
    guild_id    INTEGER NOT NULL,
    purpose     TEXT NOT NULL CHECK (purpose IN
                    ('welcome', 'introductions', 'announcements', 'feedback', 'leaders', 'log')),
    channel_id  INTEGER NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, purpose)
) STRICT;

CREATE TABLE guild_role (
    guild_id    INTEGER NOT NULL,
    purpose     TEXT NOT NULL CHECK (purpose IN
                    ('newcomer', 'member', 'leader', 'founder', 'moderator')),
    role_id     INTEGER NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, purpose)
) STRICT;

-- A person's language for DMs; it follows them, so it is not per guild.
CREATE TABLE user_pref (
    user_id     INTEGER PRIMARY KEY,
    locale      TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

-- Small key/value facts the bot keeps about itself (e.g. the hash of the synced command set).
CREATE TABLE bot_meta (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL
) STRICT;
