-- Community health: one row of aggregates per guild and UTC day, taken once the day is over, so
-- the history survives members leaving or being forgotten. Counts only: never a member id.
-- A NULL figure means "no data" (the feature was not in use that day), never zero.

CREATE TABLE health_daily (
    guild_id                INTEGER NOT NULL,
    day                     TEXT NOT NULL,            -- YYYY-MM-DD, UTC
    members                 INTEGER NOT NULL,         -- at the end of the day
    pending                 INTEGER NOT NULL,         -- in the gate at the end of the day
    admitted                INTEGER NOT NULL,         -- through the gate, that day
    recorded                INTEGER NOT NULL,         -- recorded without the gate (source 'existing')
    left_count              INTEGER NOT NULL,         -- members who left that day
    left_early              INTEGER NOT NULL,         -- ... within 30 days of their admission
    admitted_introduction   INTEGER NOT NULL,
    admitted_referral       INTEGER NOT NULL,
    admitted_invite         INTEGER NOT NULL,         -- another server invite
    admitted_vanity         INTEGER NOT NULL,
    admitted_unknown        INTEGER NOT NULL,
    introductions_issued    INTEGER NOT NULL,
    active_7d               INTEGER,                  -- members with a signal in the 7 days
    broad_7d                INTEGER,                  -- ... in 2 or more kinds of participation
    nps_promoters           INTEGER,                  -- NPS answers given that day
    nps_passives            INTEGER,
    nps_detractors          INTEGER,
    orders_paid             INTEGER,                  -- referred orders placed that day, still paid
    orders_refunded         INTEGER,                  -- ... since refunded
    leaders                 INTEGER,                  -- active at the end of the day
    circle_members          INTEGER,
    checked_in_30d          INTEGER,                  -- circle members with a check-in in 30 days
    taken_at                TEXT NOT NULL,
    PRIMARY KEY (guild_id, day)
) STRICT, WITHOUT ROWID;

-- Referred revenue per currency and day (currencies are never summed together).
CREATE TABLE health_daily_sales (
    guild_id        INTEGER NOT NULL,
    day             TEXT NOT NULL,
    currency        TEXT NOT NULL,
    orders          INTEGER NOT NULL,
    amount_minor    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, day, currency)
) STRICT, WITHOUT ROWID;
