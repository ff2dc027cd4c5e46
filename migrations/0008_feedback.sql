-- Product feedback: polls, 1-5 ratings and NPS surveys (one table of questions, three kinds),
-- and the feedback board whose statuses close the loop with the people who asked.

CREATE TABLE poll (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('poll', 'rating', 'nps')),
    question        TEXT NOT NULL CHECK (length(question) BETWEEN 1 AND 300),
    product         TEXT,                            -- ratings and NPS: what is rated
    multi           INTEGER NOT NULL DEFAULT 0 CHECK (multi IN (0, 1)),
    anonymous       INTEGER NOT NULL DEFAULT 0 CHECK (anonymous IN (0, 1)),
    hide_results    INTEGER NOT NULL DEFAULT 0 CHECK (hide_results IN (0, 1)),
    role_id         INTEGER,                         -- only members with this role may vote
    author_id       INTEGER NOT NULL,
    channel_id      INTEGER,
    message_id      INTEGER,
    closes_at       TEXT,                            -- ISO 8601, UTC; NULL: closed by hand
    closed_at       TEXT,
    -- Anonymous polls: voters are kept as HMAC(salt, member id) while the poll is open, only to
    -- stop double votes and let a member change their vote. At close the votes are reduced to
    -- counts per option and the salt is dropped.
    ballot_salt     TEXT,
    created_at      TEXT NOT NULL
) STRICT;

CREATE INDEX poll_by_guild ON poll (guild_id, closed_at, created_at);

CREATE TABLE poll_option (
    poll_id         INTEGER NOT NULL REFERENCES poll (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,                -- 0-based, in the order given
    label           TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 80),
    final_votes     INTEGER,                         -- anonymous polls, once closed
    PRIMARY KEY (poll_id, position)
) STRICT;

-- One row per member and chosen option. `voter` is the member id (as text) on named polls and on
-- ratings/NPS, or the keyed hash on anonymous polls (whose rows carry no time).
CREATE TABLE poll_vote (
    poll_id         INTEGER NOT NULL REFERENCES poll (id) ON DELETE CASCADE,
    voter           TEXT NOT NULL,
    position        INTEGER NOT NULL,
    voted_at        TEXT,
    PRIMARY KEY (poll_id, voter, position)
) STRICT;

-- An optional comment with an NPS answer (or a rating).
CREATE TABLE poll_comment (
    poll_id         INTEGER NOT NULL REFERENCES poll (id) ON DELETE CASCADE,
    voter           TEXT NOT NULL,
    text            TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 1000),
    created_at      TEXT NOT NULL,
    PRIMARY KEY (poll_id, voter)
) STRICT;

CREATE TABLE feedback_item (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    author_id       INTEGER NOT NULL,
    product         TEXT NOT NULL CHECK (length(product) BETWEEN 1 AND 80),
    title           TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    details         TEXT NOT NULL CHECK (length(details) <= 1000),
    status          TEXT NOT NULL DEFAULT 'new' CHECK (status IN
                        ('new', 'under_review', 'planned', 'in_progress', 'shipped', 'declined')),
    channel_id      INTEGER,                         -- the post (a forum thread, or a message)
    message_id      INTEGER,
    thread_id       INTEGER,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;

CREATE INDEX feedback_item_by_guild ON feedback_item (guild_id, status, product);

CREATE TABLE feedback_vote (
    item_id         INTEGER NOT NULL REFERENCES feedback_item (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (item_id, user_id)
) STRICT;

-- Every status change, with the moderator's note: the loop closed with the people who asked,
-- and the weekly digest's "what moved".
CREATE TABLE feedback_status_change (
    id              INTEGER PRIMARY KEY,
    item_id         INTEGER NOT NULL REFERENCES feedback_item (id) ON DELETE CASCADE,
    status          TEXT NOT NULL,
    note            TEXT CHECK (note IS NULL OR length(note) <= 500),
    moderator_id    INTEGER NOT NULL,
    changed_at      TEXT NOT NULL
) STRICT;

CREATE INDEX feedback_status_change_by_time ON feedback_status_change (changed_at);
