-- Referral program: personal store codes and the referred orders imported from the store.
-- Amounts are integers in the currency's minor unit; currencies are never summed together.

CREATE TABLE referral_settings (
    guild_id        INTEGER PRIMARY KEY,
    code_prefix     TEXT NOT NULL DEFAULT '{name}',   -- '{name}': the member's name, e.g. MAYA
    store_url       TEXT,                              -- a template with {code}
    updated_at      TEXT NOT NULL
) STRICT;

CREATE TABLE referral_code (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    code        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id),
    UNIQUE (guild_id, code)
) STRICT;

CREATE TABLE referral_order (
    guild_id        INTEGER NOT NULL,
    order_id        TEXT NOT NULL,
    code            TEXT NOT NULL,
    referrer_id     INTEGER NOT NULL,
    amount_minor    INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency        TEXT NOT NULL,
    ordered_at      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('paid', 'refunded', 'cancelled')),
    self_referral   INTEGER NOT NULL DEFAULT 0 CHECK (self_referral IN (0, 1)),
    source          TEXT NOT NULL CHECK (source IN ('csv', 'webhook')),
    import_id       TEXT NOT NULL,      -- the import that last touched it: a repeat in one file
                                        -- is found without holding every order id in memory
    imported_at     TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (guild_id, order_id)
) STRICT;

CREATE INDEX referral_order_by_referrer ON referral_order (guild_id, referrer_id, status);
