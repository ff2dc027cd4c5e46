"""The synthetic community of bench/leaders.py: 2,000 members and 90 days of signals.

Seeded. Written straight into a migrated database (aggregates and records only), the way the
features would have left it:

- member stints: members admitted over the last two years (a third through introductions or
  referral links, 2% of those rejoins), 100 of them in the last 30 days, the first 800 recorded
  at setup (source "existing", with their Discord join dates given to the score), and 300
  people who joined and left;
- engagement_daily over 90 days: per member an activity level (a fifth very active, a third
  regular, the rest occasional); on an active day messages in several of 24 channels, now and
  then a poll vote, a feedback item or upvotes received; introductions that stayed credited on
  the newcomer's 30th day; ~1 million rows;
- 26 completed founder sessions (two a week) with their attendance (and the `rsvp_kept` and
  `attendance_minutes` signals on that day), 400 feedback items with 4,000 upvotes;
- 25 active leaders, 40 opt-outs, 15 recent declines and 5 older ones.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.db import Database
from bot.services.clock import iso

JSON = dict[str, Any]
DAYS = 90
CHANNELS = 24


async def build_community(
    db: Database, guild_id: int, members: list[int], now: datetime, seed: int
) -> JSON:
    """Write the community; returns the row counts."""
    rnd = random.Random(seed)
    today = now.date()
    stints: list[tuple[Any, ...]] = []
    admitted: dict[int, datetime] = {}
    sponsors: dict[int, int] = {}
    recent = set(rnd.sample(members[800:], 100))
    for index, user in enumerate(members):
        if index < 800:
            when = now - timedelta(days=400)
            source, sponsor, rejoin = "existing", None, 0
        else:
            days = rnd.uniform(1, 29) if user in recent else rnd.uniform(31, 730)
            when = now - timedelta(days=days)
            roll = rnd.random()
            source = "introduction" if roll < 0.2 else "referral" if roll < 0.33 else "invite"
            sponsor = rnd.choice(members[:index]) if source != "invite" else None
            rejoin = int(sponsor is not None and rnd.random() < 0.02)
            if sponsor is not None:
                sponsors[user] = sponsor
        admitted[user] = when
        stints.append(
            (guild_id, user, "member", source, sponsor, rejoin, iso(when), iso(when), None)
        )
    for index in range(300):  # joined and left
        user = 800_000_000_000_000_000 + index
        when = now - timedelta(days=rnd.uniform(40, 700))
        left = when + timedelta(days=rnd.uniform(1, 35))
        sponsor = rnd.choice(members) if index % 3 == 0 else None
        stints.append(
            (
                guild_id,
                user,
                "left",
                "introduction" if sponsor else "unknown",
                sponsor,
                0,
                iso(when),
                iso(when),
                iso(left),
            )
        )
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO member_stint (guild_id, user_id, status, source, sponsor_id, rejoin, "
            "joined_at, admitted_at, left_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            stints,
        )

    # Sessions: two a week, 45 to 90 minutes.
    sessions: list[tuple[int, datetime]] = []
    async with db.transaction() as tx:
        for number in range(26):
            start = now - timedelta(days=DAYS - 1 - number * 3.5, hours=rnd.uniform(0, 6))
            end = start + timedelta(minutes=rnd.choice((45, 60, 90)))
            session_id = await tx.execute(
                "INSERT INTO founder_session (guild_id, kind, title, host_id, starts_at, ends_at, "
                "status, started_at, ended_at, created_at, updated_at) "
                "VALUES (?, 'ama', ?, ?, ?, ?, 'completed', ?, ?, ?, ?)",
                (
                    guild_id,
                    f"AMA {number}",
                    members[0],
                    iso(start),
                    iso(end),
                    iso(start),
                    iso(end),
                    iso(start),
                    iso(end),
                ),
            )
            sessions.append((session_id, end))

    signals: dict[tuple[int, str, str, int], int] = {}

    def add(user: int, day: str, kind: str, count: int, channel: int = 0) -> None:
        key = (user, day, kind, channel)
        signals[key] = signals.get(key, 0) + count

    first_day = today - timedelta(days=DAYS - 1)
    attendance: list[tuple[int, int, int]] = []
    levels: dict[int, float] = {}
    for user in members:
        roll = rnd.random()
        levels[user] = 0.95 if roll < 0.2 else 0.6 if roll < 0.53 else 0.3
    for user in members:
        level = levels[user]
        since = max(first_day, admitted[user].date())
        span = (today - since).days + 1
        home = rnd.sample(range(1, CHANNELS + 1), 16)
        for offset in range(span):
            if rnd.random() >= level:
                continue
            day = (since + timedelta(days=offset)).isoformat()
            for channel in rnd.sample(home, rnd.randint(5, 15)):
                add(user, day, "message", rnd.randint(1, 12), channel)
            if rnd.random() < 0.12:
                add(user, day, "vote", 1)
            if rnd.random() < 0.03:
                add(user, day, "feedback_item", 1)
            if rnd.random() < 0.05:
                add(user, day, "feedback_upvote", rnd.randint(1, 4))
        for session_id, end in sessions:
            if end.date() >= since and rnd.random() < level * 0.5:
                minutes = rnd.randint(5, 80)
                attendance.append((session_id, user, minutes * 60))
                day = end.date().isoformat()
                add(user, day, "attendance_minutes", minutes)
                if rnd.random() < 0.7:
                    add(user, day, "rsvp_kept", 1)
    for user, sponsor in sponsors.items():
        stayed = (admitted[user] + timedelta(days=30)).date()
        if first_day <= stayed <= today:
            add(sponsor, stayed.isoformat(), "introduction_stayed", 1)
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO engagement_daily (guild_id, user_id, day, kind, channel_id, count) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(guild_id, u, d, k, c, n) for (u, d, k, c), n in signals.items()],
        )
        await tx.executemany(
            "INSERT INTO session_attendance (session_id, user_id, seconds) VALUES (?, ?, ?)",
            attendance,
        )

    # Feedback, leaders, opt-outs, declines.
    async with db.transaction() as tx:
        items = []
        for number in range(400):
            at = iso(now - timedelta(days=rnd.uniform(0, DAYS)))
            items.append(
                await tx.execute(
                    "INSERT INTO feedback_item (guild_id, author_id, product, title, details, "
                    "created_at, updated_at) VALUES (?, ?, 'Boots', ?, '', ?, ?)",
                    (guild_id, rnd.choice(members), f"Idea {number}", at, at),
                )
            )
        votes = {(rnd.choice(items), rnd.choice(members)) for _ in range(4000)}
        await tx.executemany(
            "INSERT INTO feedback_vote (item_id, user_id, created_at) VALUES (?, ?, ?)",
            [(item, user, iso(now)) for item, user in votes],
        )
        leaders = rnd.sample(members[:1500], 25)
        await tx.executemany(
            "INSERT INTO leader (guild_id, user_id, status, since) VALUES (?, ?, 'active', ?)",
            [(guild_id, user, iso(now - timedelta(days=100))) for user in leaders],
        )
        others = [u for u in members if u not in set(leaders)]
        await tx.executemany(
            "INSERT INTO leader_optout (guild_id, user_id, created_at) VALUES (?, ?, ?)",
            [(guild_id, user, iso(now)) for user in rnd.sample(others, 40)],
        )
        declines = [
            (guild_id, user, members[0], iso(now - timedelta(days=d)), iso(now - timedelta(days=d)))
            for user, d in zip(
                rnd.sample(others, 20),
                [rnd.uniform(1, 89) for _ in range(15)] + [rnd.uniform(91, 300) for _ in range(5)],
                strict=True,
            )
        ]
        await tx.executemany(
            "INSERT INTO leader_nomination (guild_id, user_id, nominated_by, status, created_at, "
            "expires_at, decided_at) VALUES (?, ?, ?, 'declined', ?, ?, ?)",
            [(g, u, b, c, c, d) for g, u, b, c, d in declines],
        )
    return {
        "members": len(members),
        "stints": len(stints),
        "engagement_rows": len(signals),
        "sessions": len(sessions),
        "attendance_rows": len(attendance),
        "feedback_items": len(items),
        "feedback_votes": len(votes),
        "leaders": len(leaders),
        "opted_out": 40,
        "declines": len(declines),
    }


def existing_joined(members: list[int], now: datetime) -> dict[int, datetime]:
    """When Discord says the members recorded at setup joined (before Vouch)."""
    return {
        user: now - timedelta(days=400 + index % 600) for index, user in enumerate(members[:800])
    }


def old_account(now: datetime) -> datetime:
    """Account creation time for the bench users (years before any join)."""
    return (now - timedelta(days=3 * 365)).astimezone(UTC)
