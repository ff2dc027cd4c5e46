-- Referral program, continued: personal invite links, the store's shop for webhooks, members'
-- referral preferences, milestones, the reward-code pool and the rewards given.

ALTER TABLE referral_settings ADD COLUMN shop_domain TEXT;          -- e.g. brand.myshopify.com
ALTER TABLE referral_settings ADD COLUMN young_account_days INTEGER NOT NULL DEFAULT 7
    CHECK (young_account_days BETWEEN 0 AND 365);
ALTER TABLE referral_settings ADD COLUMN early_leave_days INTEGER NOT NULL DEFAULT 14
    CHECK (early_leave_days BETWEEN 0 AND 365);

CREATE UNIQUE INDEX referral_settings_by_shop ON referral_settings (shop_domain)
    WHERE shop_domain IS NOT NULL;

-- A member's reusable tracked invite. invite_code is NULL once Discord deleted it (it is made
-- again on the next /referral link).
CREATE TABLE referral_link (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    invite_code TEXT,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;

CREATE UNIQUE INDEX referral_link_by_code ON referral_link (guild_id, invite_code)
    WHERE invite_code IS NOT NULL;

-- A member's referral preferences: milestone announcements, and the SHA-256 of the email they
-- shop with (never the email), so their own orders are not credited to them.
CREATE TABLE referral_member (
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    announce        INTEGER NOT NULL DEFAULT 1 CHECK (announce IN (0, 1)),
    email_sha256    TEXT,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT;

CREATE INDEX referral_member_by_email ON referral_member (guild_id, email_sha256)
    WHERE email_sha256 IS NOT NULL;

CREATE TABLE referral_milestone (
    guild_id    INTEGER NOT NULL,
    orders      INTEGER NOT NULL CHECK (orders BETWEEN 1 AND 100000),
    role_id     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, orders)
) STRICT;

-- A milestone a member reached. One row per member and milestone, ever: reaching it again after
-- a refund never gives a second reward. Its steps are done by a durable job, each recorded.
CREATE TABLE referral_award (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    orders          INTEGER NOT NULL,       -- the milestone
    role_id         INTEGER NOT NULL,
    reached_at      TEXT NOT NULL,
    -- pending: steps to do; done: role, announcement and code handled; held: the member has left
    -- (a moderator decides); undeliverable: the code could not be DM'd (a moderator passes it on)
    status          TEXT NOT NULL CHECK (status IN ('pending', 'done', 'held', 'undeliverable')),
    role_given_at   TEXT,
    announced_at    TEXT,
    code_owed       INTEGER NOT NULL DEFAULT 0 CHECK (code_owed IN (0, 1)),  -- the pool was empty
    code_sent_at    TEXT,                   -- set just before the DM: a code is never sent twice
    below_since     TEXT,                   -- a refund took the member below the milestone
    UNIQUE (guild_id, user_id, orders)
) STRICT;

CREATE INDEX referral_award_by_status ON referral_award (guild_id, status);

-- Single-use store-credit codes uploaded by the brand. award_id is set once, in the transaction
-- that gives the code to an award, so a code can never go to two awards.
CREATE TABLE reward_code (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    code        TEXT NOT NULL,
    added_at    TEXT NOT NULL,
    award_id    INTEGER UNIQUE REFERENCES referral_award (id),
    UNIQUE (guild_id, code)
) STRICT;

CREATE INDEX reward_code_free ON reward_code (guild_id, id) WHERE award_id IS NULL;

-- Webhook deliveries already applied, so a replayed delivery changes nothing.
CREATE TABLE webhook_delivery (
    source      TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (source, delivery_id)
) STRICT;

-- Leaderboards count paid orders by period.
CREATE INDEX referral_order_by_time ON referral_order (guild_id, status, ordered_at);
