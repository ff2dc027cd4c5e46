"""The feedback board: members submit ideas and problems, upvote each other's, and moderators
move them through statuses. Every status change is kept, with its note: it is what the
submitter and the upvoters are told (the loop closed), and the weekly digest's "what moved".

One upvote per member and item, never on one's own; a second press takes the vote back. Items
that shipped or were declined take no more votes (a later status change can reopen them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, get_args

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow

if TYPE_CHECKING:
    from bot.services.leaders.signals import EngagementSignals

Status = Literal["new", "under_review", "planned", "in_progress", "shipped", "declined"]
STATUSES: tuple[Status, ...] = get_args(Status)
CLOSED_STATUSES: frozenset[str] = frozenset({"shipped", "declined"})
PRODUCT_MAX = 80
TITLE_MAX = 100
DETAILS_MAX = 1000
NOTE_MAX = 500

_SELECT = (
    "SELECT i.id, i.guild_id, i.author_id, i.product, i.title, i.details, i.status, "
    "i.channel_id, i.message_id, i.thread_id, i.created_at, i.updated_at, "
    "(SELECT count(*) FROM feedback_vote v WHERE v.item_id = i.id) AS votes, "
    "(SELECT c.note FROM feedback_status_change c WHERE c.item_id = i.id "
    "ORDER BY c.changed_at DESC, c.id DESC LIMIT 1) AS note "
    "FROM feedback_item i"
)
# The board's order: most upvotes first, then the oldest.
_RANKED = "votes DESC, i.created_at, i.id"
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class FeedbackItem:
    """A submitted idea or problem, with its upvote count and the latest status note."""

    id: int
    guild_id: int
    author_id: int
    product: str
    title: str
    details: str
    status: Status
    votes: int
    note: str | None
    channel_id: int | None
    message_id: int | None
    thread_id: int | None
    created_at: datetime
    updated_at: datetime

    @property
    def takes_votes(self) -> bool:
        """Open to upvotes (not shipped, not declined)."""
        return self.status not in CLOSED_STATUSES


@dataclass(frozen=True)
class StatusUpdate:
    """The result of a status change: the item after it, and whom to tell."""

    item: FeedbackItem
    previous: Status
    #: The submitter first, then the upvoters in the order they voted (the moderator excluded).
    audience: tuple[int, ...]


@dataclass(frozen=True)
class StatusChange:
    """One recorded status change of an item (for "what moved")."""

    item_id: int
    title: str
    product: str
    status: Status
    note: str | None
    moderator_id: int
    changed_at: datetime
    votes: int


def one_line(text: str) -> str:
    """Runs of whitespace (new lines included) become one space; ends trimmed."""
    return _SPACES.sub(" ", text).strip()


def check_status(value: str) -> Status:
    """The status, or a DomainError for anything else (a command option is user input)."""
    if value not in STATUSES:
        raise DomainError("feedback.status.invalid", value=str(value)[:32])
    return value


class FeedbackBoard:
    """Feedback items of every guild, their upvotes and their status history."""

    name = "feedback"

    def __init__(
        self, db: Database, clock: Clock = utcnow, *, signals: EngagementSignals | None = None
    ) -> None:
        self._db = db
        self._clock = clock
        self._signals = signals

    async def submit(
        self, guild_id: int, author_id: int, product: str, title: str, details: str
    ) -> FeedbackItem:
        """Store a new item (status new) after checking every field; the author's engagement
        signals count it."""
        product, title, details = one_line(product), one_line(title), details.strip()
        if not product:
            raise DomainError("feedback.product.empty")
        if len(product) > PRODUCT_MAX:
            raise DomainError("feedback.product.too_long", limit=PRODUCT_MAX)
        if not title:
            raise DomainError("feedback.title.empty")
        if len(title) > TITLE_MAX:
            raise DomainError("feedback.title.too_long", limit=TITLE_MAX)
        if len(details) > DETAILS_MAX:
            raise DomainError("feedback.details.too_long", limit=DETAILS_MAX)
        now = iso(self._clock())
        async with self._db.transaction() as tx:
            item_id = await tx.execute(
                "INSERT INTO feedback_item (guild_id, author_id, product, title, details, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (guild_id, author_id, product, title, details, now, now),
            )
            item = await _one(tx, item_id)
            if self._signals is not None:
                await self._signals.record(guild_id, author_id, "feedback_item", at=item.created_at)
            return item

    async def set_post(
        self, item_id: int, channel_id: int, message_id: int, thread_id: int | None
    ) -> FeedbackItem:
        """Remember where the item is shown (the message with its Upvote button, and the
        thread where people discuss it)."""
        async with self._db.transaction() as tx:
            changed = await tx.execute_rowcount(
                "UPDATE feedback_item SET channel_id = ?, message_id = ?, thread_id = ? "
                "WHERE id = ?",
                (channel_id, message_id, thread_id, item_id),
            )
            if not changed:
                raise DomainError("feedback.unknown", item=item_id)
            return await _one(tx, item_id)

    async def withdraw(self, guild_id: int, item_id: int) -> None:
        """Remove an item that could not be posted (nothing half-made stays, nor its count)."""
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT author_id, created_at FROM feedback_item WHERE id = ? AND guild_id = ?",
                (item_id, guild_id),
            )
            await tx.execute(
                "DELETE FROM feedback_item WHERE id = ? AND guild_id = ?", (item_id, guild_id)
            )
            if row is not None and self._signals is not None:
                await self._signals.retract(
                    guild_id,
                    int(row["author_id"]),
                    "feedback_item",
                    at=datetime.fromisoformat(row["created_at"]),
                )

    async def get(self, guild_id: int, item_id: int) -> FeedbackItem:
        """One item of the guild (another guild's id is unknown here)."""
        async with self._db.transaction() as tx:
            return await _owned(tx, guild_id, item_id)

    async def upvote(
        self, guild_id: int, item_id: int, user_id: int, *, via_message: int | None = None
    ) -> tuple[FeedbackItem, bool]:
        """Toggle the member's upvote: True when added, False when a second press took it
        back. Refused on one's own item, on shipped or declined items, and from a message other
        than the item's post (`via_message`: the reply edits that message). The item's author is
        credited an upvote received (taken back, from the day it was given, by an un-vote)."""
        async with self._db.transaction() as tx:
            item = await _owned(tx, guild_id, item_id)
            if via_message is not None and item.message_id not in (None, via_message):
                raise DomainError("feedback.button.invalid")
            if item.author_id == user_id:
                raise DomainError("feedback.upvote.own")
            if not item.takes_votes:
                raise DomainError("feedback.upvote.closed")
            given = await tx.fetch_one(
                "SELECT created_at FROM feedback_vote WHERE item_id = ? AND user_id = ?",
                (item_id, user_id),
            )
            removed = await tx.execute_rowcount(
                "DELETE FROM feedback_vote WHERE item_id = ? AND user_id = ?", (item_id, user_id)
            )
            if not removed:
                await tx.execute(
                    "INSERT INTO feedback_vote (item_id, user_id, created_at) VALUES (?, ?, ?)",
                    (item_id, user_id, iso(self._clock())),
                )
            if self._signals is not None:
                if given is None:
                    await self._signals.record(guild_id, item.author_id, "feedback_upvote")
                else:
                    await self._signals.retract(
                        guild_id,
                        item.author_id,
                        "feedback_upvote",
                        at=datetime.fromisoformat(given["created_at"]),
                    )
            return await _one(tx, item_id), not removed

    async def voters(self, item_id: int) -> list[int]:
        """Who upvoted the item, in the order they voted."""
        rows = await self._db.fetch_all(
            "SELECT user_id FROM feedback_vote WHERE item_id = ? ORDER BY created_at, rowid",
            (item_id,),
        )
        return [int(row[0]) for row in rows]

    async def set_status(
        self,
        guild_id: int,
        item_id: int,
        moderator_id: int,
        status: str,
        note: str | None = None,
    ) -> StatusUpdate:
        """Move an item to a status, with an optional note, and record the change. The same
        status again is refused unless a note comes with it (an update worth telling)."""
        new = check_status(status)
        note = (note or "").strip() or None
        if note is not None and len(note) > NOTE_MAX:
            raise DomainError("feedback.note.too_long", limit=NOTE_MAX)
        now = iso(self._clock())
        async with self._db.transaction() as tx:
            item = await _owned(tx, guild_id, item_id)
            if item.status == new and note is None:
                raise DomainError("feedback.status.unchanged")
            await tx.execute(
                "INSERT INTO feedback_status_change (item_id, status, note, moderator_id, "
                "changed_at) VALUES (?, ?, ?, ?, ?)",
                (item_id, new, note, moderator_id, now),
            )
            await tx.execute(
                "UPDATE feedback_item SET status = ?, updated_at = ? WHERE id = ?",
                (new, now, item_id),
            )
            voters = await tx.fetch_all(
                "SELECT user_id FROM feedback_vote WHERE item_id = ? ORDER BY created_at, rowid",
                (item_id,),
            )
            people = [item.author_id, *(int(row[0]) for row in voters)]
            audience = tuple(p for p in dict.fromkeys(people) if p != moderator_id)
            return StatusUpdate(await _one(tx, item_id), item.status, audience)

    async def top(
        self,
        guild_id: int,
        *,
        product: str | None = None,
        status: str | None = None,
        limit: int = 10,
    ) -> list[FeedbackItem]:
        """The most upvoted items, optionally of one product (any case) and one status."""
        where: list[str] = ["i.guild_id = ?"]
        params: list[object] = [guild_id]
        if product and product.strip():
            where.append("i.product = ? COLLATE NOCASE")
            params.append(one_line(product))
        if status:
            where.append("i.status = ?")
            params.append(check_status(status))
        async with self._db.transaction() as tx:
            return await _select(tx, " AND ".join(where), tuple(params), _RANKED, limit)

    async def recent(self, guild_id: int, search: str = "", limit: int = 25) -> list[FeedbackItem]:
        """Items most recently submitted or moved first, whose title, product or number
        contains `search` (for autocomplete)."""
        needle = f"%{search.strip().lstrip('#')}%"
        async with self._db.transaction() as tx:
            return await _select(
                tx,
                "i.guild_id = ? AND (i.title LIKE ? OR i.product LIKE ? OR "
                "CAST(i.id AS TEXT) LIKE ?)",
                (guild_id, needle, needle, needle),
                "i.updated_at DESC, i.id DESC",
                limit,
            )

    async def products(self, guild_id: int, search: str = "", limit: int = 25) -> list[str]:
        """The guild's product names, the most used first (for autocomplete)."""
        rows = await self._db.fetch_all(
            "SELECT min(product) FROM feedback_item WHERE guild_id = ? AND product LIKE ? "
            "GROUP BY product COLLATE NOCASE ORDER BY count(*) DESC, min(product) LIMIT ?",
            (guild_id, f"%{search.strip()}%", limit),
        )
        return [str(row[0]) for row in rows]

    async def export(self, guild_id: int) -> list[FeedbackItem]:
        """Every item of the guild, oldest first (the CSV export)."""
        async with self._db.transaction() as tx:
            return await _select(tx, "i.guild_id = ?", (guild_id,), "i.id", -1)

    async def moved_since(self, guild_id: int, since: datetime) -> list[StatusChange]:
        """Status changes made at or after `since`, in the order they happened."""
        rows = await self._db.fetch_all(
            "SELECT c.item_id, i.title, i.product, c.status, c.note, c.moderator_id, "
            "c.changed_at, (SELECT count(*) FROM feedback_vote v WHERE v.item_id = i.id) "
            "AS votes FROM feedback_status_change c JOIN feedback_item i ON i.id = c.item_id "
            "WHERE i.guild_id = ? AND c.changed_at >= ? ORDER BY c.changed_at, c.id",
            (guild_id, iso(since)),
        )
        return [
            StatusChange(
                item_id=int(row["item_id"]),
                title=row["title"],
                product=row["product"],
                status=row["status"],
                note=row["note"],
                moderator_id=int(row["moderator_id"]),
                changed_at=datetime.fromisoformat(row["changed_at"]),
                votes=int(row["votes"]),
            )
            for row in rows
        ]

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, object]:
        """Privacy export: the member's items, the items they upvoted, and the status changes
        they made as a moderator."""
        items = await self._db.fetch_all(
            "SELECT id, product, title, details, status, created_at FROM feedback_item "
            "WHERE guild_id = ? AND author_id = ? ORDER BY id",
            (guild_id, user_id),
        )
        votes = await self._db.fetch_all(
            "SELECT v.item_id, v.created_at FROM feedback_vote v JOIN feedback_item i "
            "ON i.id = v.item_id WHERE i.guild_id = ? AND v.user_id = ? ORDER BY v.item_id",
            (guild_id, user_id),
        )
        changes = await self._db.fetch_all(
            "SELECT c.item_id, c.status, c.note, c.changed_at FROM feedback_status_change c "
            "JOIN feedback_item i ON i.id = c.item_id WHERE i.guild_id = ? "
            "AND c.moderator_id = ? ORDER BY c.id",
            (guild_id, user_id),
        )
        found: dict[str, object] = {}
        if items:
            found["items"] = [dict(row) for row in items]
        if votes:
            found["upvotes"] = [dict(row) for row in votes]
        if changes:
            found["status_changes"] = [dict(row) for row in changes]
        return found

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Privacy forget: their upvotes and their items go (with the items' votes and
        history); status changes they made as a moderator stay, no longer naming them."""
        deleted = await tx.execute_rowcount(
            "DELETE FROM feedback_vote WHERE user_id = ? AND item_id IN "
            "(SELECT id FROM feedback_item WHERE guild_id = ?)",
            (user_id, guild_id),
        )
        deleted += await tx.execute_rowcount(
            "DELETE FROM feedback_item WHERE guild_id = ? AND author_id = ?", (guild_id, user_id)
        )
        deleted += await tx.execute_rowcount(
            "UPDATE feedback_status_change SET moderator_id = 0 WHERE moderator_id = ? AND "
            "item_id IN (SELECT id FROM feedback_item WHERE guild_id = ?)",
            (user_id, guild_id),
        )
        return deleted


async def _owned(tx: Transaction, guild_id: int, item_id: int) -> FeedbackItem:
    found = await _select(tx, "i.id = ? AND i.guild_id = ?", (item_id, guild_id), "i.id", 1)
    if not found:
        raise DomainError("feedback.unknown", item=item_id)
    return found[0]


async def _one(tx: Transaction, item_id: int) -> FeedbackItem:
    found = await _select(tx, "i.id = ?", (item_id,), "i.id", 1)
    assert found, item_id
    return found[0]


async def _select(
    tx: Transaction, where: str, params: tuple[Any, ...], order: str, limit: int
) -> list[FeedbackItem]:
    rows = await tx.fetch_all(f"{_SELECT} WHERE {where} ORDER BY {order} LIMIT ?", (*params, limit))
    return [_item(row) for row in rows]


def _item(row: Any) -> FeedbackItem:
    return FeedbackItem(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        author_id=int(row["author_id"]),
        product=row["product"],
        title=row["title"],
        details=row["details"],
        status=row["status"],
        votes=int(row["votes"]),
        note=row["note"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        thread_id=row["thread_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )
