"""The digest's contents, read (never written) from what the other features recorded.

- Welcomed: members admitted in the window (through the gate: not those recorded as already
  there when Vouch was set up) who are still members, with their sponsor.
- Coming up: founder sessions open to everyone (audience 'all'), still scheduled, starting in
  the two weeks after the window.
- Feedback that moved: each item whose status changed in the window, at its latest status in it
  (a change back to 'new' is no news), shipped first.
- Polls: polls and surveys closed in the window (the latest POLL_LIMIT, each with its chart).
- Top referrers: members whose code brought paid orders in the window (self-referrals not
  counted), still members, who opted in to being named with `/referral showcase` (off by
  default, as for the health view's top referrers).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bot.db import Database
from bot.services.clock import iso
from bot.services.digest.models import (
    ClosedPoll,
    DigestContent,
    Moved,
    Referrer,
    Spotlight,
    Upcoming,
    Welcome,
)
from bot.services.feedback.board import FeedbackBoard
from bot.services.feedback.polls import PollService

SESSION_DAYS = 14
SESSION_LIMIT = 10
POLL_LIMIT = 5
REFERRER_LIMIT = 5
#: The order feedback news is told in: what shipped first.
STATUS_ORDER: tuple[str, ...] = ("shipped", "in_progress", "planned", "under_review", "declined")


async def assemble(
    db: Database,
    polls: PollService,
    board: FeedbackBoard,
    guild_id: int,
    since: datetime,
    until: datetime,
    spotlight: Spotlight | None,
) -> DigestContent:
    """Every section of the digest for the window [since, until)."""
    closed, more = await closed_polls(db, polls, guild_id, since, until)
    return DigestContent(
        guild_id=guild_id,
        since=since,
        until=until,
        welcomed=await welcomed(db, guild_id, since, until),
        sessions=await upcoming(db, guild_id, until),
        moved=await moved(db, board, guild_id, since, until),
        polls=closed,
        polls_more=more,
        spotlight=spotlight,
        referrers=await referrers(db, guild_id, since, until),
    )


async def welcomed(
    db: Database, guild_id: int, since: datetime, until: datetime
) -> tuple[Welcome, ...]:
    """Members admitted in the window and still here, in the order they came in."""
    rows = await db.fetch_all(
        "SELECT user_id, sponsor_id, admitted_at FROM member_stint "
        "WHERE guild_id = ? AND status = 'member' AND source != 'existing' "
        "AND admitted_at >= ? AND admitted_at < ? ORDER BY admitted_at, id",
        (guild_id, iso(since), iso(until)),
    )
    return tuple(
        Welcome(
            int(row["user_id"]),
            int(row["sponsor_id"]) if row["sponsor_id"] is not None else None,
            datetime.fromisoformat(row["admitted_at"]),
        )
        for row in rows
    )


async def upcoming(db: Database, guild_id: int, after: datetime) -> tuple[Upcoming, ...]:
    """Sessions for everyone, still scheduled, starting in the SESSION_DAYS after `after`."""
    rows = await db.fetch_all(
        "SELECT id, kind, title, starts_at, ends_at, event_id, post_channel_id, post_message_id "
        "FROM founder_session WHERE guild_id = ? AND status = 'scheduled' AND audience = 'all' "
        "AND starts_at >= ? AND starts_at < ? ORDER BY starts_at, id LIMIT ?",
        (guild_id, iso(after), iso(after + timedelta(days=SESSION_DAYS)), SESSION_LIMIT),
    )
    return tuple(
        Upcoming(
            session_id=int(row["id"]),
            kind=row["kind"],
            title=row["title"],
            starts_at=datetime.fromisoformat(row["starts_at"]),
            ends_at=datetime.fromisoformat(row["ends_at"]),
            event_id=row["event_id"],
            post_channel_id=row["post_channel_id"],
            post_message_id=row["post_message_id"],
        )
        for row in rows
    )


async def moved(
    db: Database, board: FeedbackBoard, guild_id: int, since: datetime, until: datetime
) -> tuple[Moved, ...]:
    """Items whose status changed in the window, at their latest status in it; shipped first,
    then by upvotes."""
    latest: dict[int, Any] = {}
    for change in await board.moved_since(guild_id, since):
        if change.changed_at < until:
            latest[change.item_id] = change  # in time order: the last one wins
    news = [change for change in latest.values() if change.status in STATUS_ORDER]
    if not news:
        return ()
    rows = await db.fetch_all(
        "SELECT i.id, i.channel_id, i.message_id, i.thread_id FROM feedback_item i "
        "JOIN json_each(?) AS wanted ON wanted.value = i.id",
        (json.dumps([change.item_id for change in news]),),
    )
    posts = {int(row["id"]): row for row in rows}
    news.sort(key=lambda c: (STATUS_ORDER.index(c.status), -c.votes, c.changed_at, c.item_id))
    return tuple(
        Moved(
            item_id=change.item_id,
            title=change.title,
            product=change.product,
            status=change.status,
            votes=change.votes,
            channel_id=posts[change.item_id]["channel_id"] if change.item_id in posts else None,
            message_id=posts[change.item_id]["message_id"] if change.item_id in posts else None,
            thread_id=posts[change.item_id]["thread_id"] if change.item_id in posts else None,
        )
        for change in news
    )


async def closed_polls(
    db: Database, polls: PollService, guild_id: int, since: datetime, until: datetime
) -> tuple[tuple[ClosedPoll, ...], int]:
    """The latest POLL_LIMIT polls closed in the window (oldest first), and how many more."""
    rows = await db.fetch_all(
        "SELECT id FROM poll WHERE guild_id = ? AND closed_at >= ? AND closed_at < ? "
        "ORDER BY closed_at DESC, id DESC",
        (guild_id, iso(since), iso(until)),
    )
    shown: list[ClosedPoll] = []
    for row in reversed(rows[:POLL_LIMIT]):
        poll = await polls.get(guild_id, int(row["id"]))
        shown.append(ClosedPoll(poll, await polls.counts(poll)))
    return tuple(shown), max(0, len(rows) - POLL_LIMIT)


async def referrers(
    db: Database, guild_id: int, since: datetime, until: datetime
) -> tuple[Referrer, ...]:
    """The members whose code brought the most paid orders in the window."""
    rows = await db.fetch_all(
        "SELECT o.referrer_id, count(*) AS paid FROM referral_order o "
        "JOIN referral_member m ON m.guild_id = o.guild_id AND m.user_id = o.referrer_id "
        "WHERE o.guild_id = ? AND o.status = 'paid' AND o.self_referral = 0 "
        "AND o.ordered_at >= ? AND o.ordered_at < ? AND m.showcase = 1 "
        "AND EXISTS (SELECT 1 FROM member_stint s WHERE s.guild_id = o.guild_id "
        "AND s.user_id = o.referrer_id AND s.status = 'member') "
        "GROUP BY o.referrer_id ORDER BY paid DESC, o.referrer_id LIMIT ?",
        (guild_id, iso(since), iso(until), REFERRER_LIMIT),
    )
    return tuple(Referrer(int(row["referrer_id"]), int(row["paid"])) for row in rows)
