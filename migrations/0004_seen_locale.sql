-- The language a person's Discord client uses, as last seen on one of their interactions.
-- DMs use it when the person never chose a language with /language.

CREATE TABLE user_seen_locale (
    user_id     INTEGER PRIMARY KEY,
    locale      TEXT NOT NULL,
    seen_at     TEXT NOT NULL
) STRICT;
