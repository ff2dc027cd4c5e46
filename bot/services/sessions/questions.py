"""The question queue of founder sessions: ask, upvote, take the next, skip, merge, carry over.

Members ask before or during a session and upvote each other's questions (one vote each, never
on a question they are credited on). The host takes the top open question, by votes then age.
Every decision is read and written in one transaction, so two clicks at once never take the same
question twice nor count a vote twice. When a session ends its best open questions become the
guild's backlog (session_id NULL), which the next session adopts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow
from bot.services.sessions.models import OPEN_STATUSES

QUESTION_MAX = 300
OPEN_PER_MEMBER = 3
QuestionStatus = Literal["open", "answered", "skipped", "merged"]

_SELECT = (
    "SELECT q.id, q.guild_id, q.session_id, q.author_id, q.text, q.status, q.channel_id, "
    "q.message_id, q.created_at, "
    "(SELECT count(*) FROM session_question_vote v WHERE v.question_id = q.id) AS votes "
    "FROM session_question q"
)
# The queue's order: most votes first, then the oldest.
_RANKED = "votes DESC, q.created_at, q.id"


@dataclass(frozen=True)
class Question:
    """A question of a session's queue (session_id None: the carried-over backlog)."""

    id: int
    guild_id: int
    session_id: int | None
    #: The original author first, then those of the duplicates merged into it.
    author_ids: tuple[int, ...]
    text: str
    status: QuestionStatus
    votes: int
    channel_id: int | None
    message_id: int | None
    created_at: datetime


class QuestionService:
    """Questions members ask a session's host, and their upvotes."""

    name = "session_questions"

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def ask(self, guild_id: int, session_id: int, author_id: int, text: str) -> Question:
        """Add a question to a session that is scheduled or running."""
        text = text.strip()
        if not text:
            raise DomainError("session.question.empty")
        if len(text) > QUESTION_MAX:
            raise DomainError("session.question.too_long", limit=QUESTION_MAX)
        async with self._db.transaction() as tx:
            session = await tx.fetch_one(
                "SELECT status FROM founder_session WHERE id = ? AND guild_id = ?",
                (session_id, guild_id),
            )
            if session is None:
                raise DomainError("session.unknown")
            if session["status"] not in OPEN_STATUSES:
                raise DomainError("session.question.closed")
            # Credited questions count, so merging a member's duplicate frees no extra slot.
            row = await tx.fetch_one(
                "SELECT count(*) FROM session_question q JOIN session_question_author a "
                "ON a.question_id = q.id WHERE q.session_id = ? AND q.status = 'open' "
                "AND a.user_id = ?",
                (session_id, author_id),
            )
            if row is not None and row[0] >= OPEN_PER_MEMBER:
                raise DomainError("session.question.too_many", limit=OPEN_PER_MEMBER)
            question_id = await tx.execute(
                "INSERT INTO session_question (guild_id, session_id, author_id, text, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (guild_id, session_id, author_id, text, iso(self._clock())),
            )
            await tx.execute(
                "INSERT INTO session_question_author (question_id, user_id) VALUES (?, ?)",
                (question_id, author_id),
            )
            return await _one(tx, question_id)

    async def set_message(self, question_id: int, channel_id: int, message_id: int) -> None:
        """Remember the listing message that carries the question's Upvote button."""
        async with self._db.transaction() as tx:
            changed = await tx.execute_rowcount(
                "UPDATE session_question SET channel_id = ?, message_id = ? WHERE id = ?",
                (channel_id, message_id, question_id),
            )
        if not changed:
            raise DomainError("session.question.unknown")

    async def get(self, guild_id: int, question_id: int) -> Question:
        """One question of the guild."""
        async with self._db.transaction() as tx:
            return await _owned(tx, guild_id, question_id)

    async def upvote(self, guild_id: int, question_id: int, user_id: int) -> tuple[Question, bool]:
        """Toggle the member's vote: True when it was added, False when a second click took it
        back."""
        async with self._db.transaction() as tx:
            question = await _owned(tx, guild_id, question_id)
            if question.status != "open":
                raise DomainError("session.question.not_open")
            if user_id in question.author_ids:
                raise DomainError("session.question.own")
            removed = await tx.execute_rowcount(
                "DELETE FROM session_question_vote WHERE question_id = ? AND user_id = ?",
                (question_id, user_id),
            )
            if not removed:
                await tx.execute(
                    "INSERT OR IGNORE INTO session_question_vote (question_id, user_id, "
                    "created_at) VALUES (?, ?, ?)",
                    (question_id, user_id, iso(self._clock())),
                )
            return await _one(tx, question_id), not removed

    async def ranked(
        self, guild_id: int, session_id: int | None, limit: int = 25
    ) -> list[Question]:
        """The open questions, most votes first then the oldest (session_id None: the backlog)."""
        async with self._db.transaction() as tx:
            return await _select(
                tx,
                "q.guild_id = ? AND q.session_id IS ? AND q.status = 'open'",
                (guild_id, session_id),
                order=_RANKED,
                limit=limit,
            )

    async def take_next(self, guild_id: int, session_id: int) -> Question | None:
        """The top open question, marked answered; None when the queue is empty."""
        async with self._db.transaction() as tx:
            top = await _top(tx, guild_id, session_id)
            if top is None:
                return None
            return await self._close(tx, top.id, "answered")

    async def skip(
        self, guild_id: int, session_id: int, question_id: int | None = None
    ) -> Question | None:
        """Skip the given open question of the session, or the top one; None when there is
        none."""
        async with self._db.transaction() as tx:
            if question_id is None:
                target = await _top(tx, guild_id, session_id)
                if target is None:
                    return None
            else:
                target = await _owned(tx, guild_id, question_id)
                if target.session_id != session_id:
                    raise DomainError("session.question.unknown")
                if target.status != "open":
                    raise DomainError("session.question.not_open")
            return await self._close(tx, target.id, "skipped")

    async def merge(self, guild_id: int, keep_id: int, duplicate_id: int) -> Question:
        """Fold a duplicate into `keep`: its authors are credited on keep and its votes move
        there, never twice and never from someone now credited on keep."""
        async with self._db.transaction() as tx:
            keep = await _owned(tx, guild_id, keep_id)
            duplicate = await _owned(tx, guild_id, duplicate_id)
            if (
                keep.id == duplicate.id
                or keep.status != "open"
                or duplicate.status != "open"
                or keep.session_id != duplicate.session_id
            ):
                raise DomainError("session.question.merge_invalid")
            await tx.execute(
                "INSERT OR IGNORE INTO session_question_author (question_id, user_id) "
                "SELECT ?, user_id FROM session_question_author WHERE question_id = ? "
                "ORDER BY rowid",
                (keep.id, duplicate.id),
            )
            await tx.execute(
                "INSERT OR IGNORE INTO session_question_vote (question_id, user_id, created_at) "
                "SELECT ?, user_id, created_at FROM session_question_vote WHERE question_id = ?",
                (keep.id, duplicate.id),
            )
            # Whoever is now credited on keep cannot vote for it (the duplicate's authors who
            # had upvoted keep included).
            await tx.execute(
                "DELETE FROM session_question_vote WHERE question_id = ? AND user_id IN "
                "(SELECT user_id FROM session_question_author WHERE question_id = ?)",
                (keep.id, keep.id),
            )
            await tx.execute(
                "DELETE FROM session_question_vote WHERE question_id = ?", (duplicate.id,)
            )
            await tx.execute(
                "UPDATE session_question SET merged_into = ? WHERE merged_into = ?",
                (keep.id, duplicate.id),
            )
            await tx.execute(
                "UPDATE session_question SET status = 'merged', merged_into = ?, closed_at = ? "
                "WHERE id = ?",
                (keep.id, iso(self._clock()), duplicate.id),
            )
            return await _one(tx, keep.id)

    async def answered(self, guild_id: int, session_id: int) -> list[Question]:
        """The session's answered questions, in the order they were taken (same second: by
        id)."""
        async with self._db.transaction() as tx:
            return await _select(
                tx,
                "q.guild_id = ? AND q.session_id = ? AND q.status = 'answered'",
                (guild_id, session_id),
                order="q.closed_at, q.id",
            )

    async def carry_over(
        self, guild_id: int, session_id: int, top: int | None = 5
    ) -> list[Question]:
        """After the session ended: its `top` open questions (all of them when None, as for a
        cancelled session) go to the guild's backlog, the other open ones are skipped. Returns
        those carried over, best first."""
        async with self._db.transaction() as tx:
            queue = await _select(
                tx,
                "q.guild_id = ? AND q.session_id = ? AND q.status = 'open'",
                (guild_id, session_id),
                order=_RANKED,
            )
            kept = len(queue) if top is None else max(top, 0)
            carried, dropped = queue[:kept], queue[kept:]
            await tx.executemany(
                "UPDATE session_question SET session_id = NULL WHERE id = ?",
                [(question.id,) for question in carried],
            )
            now = iso(self._clock())
            await tx.executemany(
                "UPDATE session_question SET status = 'skipped', closed_at = ? WHERE id = ?",
                [(now, question.id) for question in dropped],
            )
            return [await _one(tx, question.id) for question in carried]

    async def adopt_backlog(self, guild_id: int, session_id: int) -> int:
        """Attach the guild's backlog to a new session; returns how many questions it took."""
        async with self._db.transaction() as tx:
            session = await tx.fetch_one(
                "SELECT 1 FROM founder_session WHERE id = ? AND guild_id = ?",
                (session_id, guild_id),
            )
            if session is None:
                raise DomainError("session.unknown")
            return await tx.execute_rowcount(
                "UPDATE session_question SET session_id = ? "
                "WHERE guild_id = ? AND session_id IS NULL AND status = 'open'",
                (session_id, guild_id),
            )

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, object]:
        """Privacy export: the questions the member is credited on and how many votes they
        cast."""
        rows = await self._db.fetch_all(
            "SELECT q.id, q.session_id, q.text, q.status, q.author_id = a.user_id AS asked, "
            "q.created_at FROM session_question q JOIN session_question_author a "
            "ON a.question_id = q.id WHERE q.guild_id = ? AND a.user_id = ? ORDER BY q.id",
            (guild_id, user_id),
        )
        votes = await self._db.fetch_one(
            "SELECT count(*) FROM session_question_vote v JOIN session_question q "
            "ON q.id = v.question_id WHERE q.guild_id = ? AND v.user_id = ?",
            (guild_id, user_id),
        )
        found: dict[str, object] = {}
        if rows:
            found["questions"] = [
                {
                    "id": row["id"],
                    "session_id": row["session_id"],
                    "text": row["text"],
                    "status": row["status"],
                    "asked": bool(row["asked"]),
                    "created_at": row["created_at"],
                }
                for row in rows
            ]
        if votes is not None and votes[0]:
            found["votes_cast"] = int(votes[0])
        return found

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Privacy forget: their votes, their author credits, and the questions only they were
        credited on. A question others are credited on too stays, credited to them."""
        deleted = await tx.execute_rowcount(
            "DELETE FROM session_question_vote WHERE user_id = ? AND question_id IN "
            "(SELECT id FROM session_question WHERE guild_id = ?)",
            (user_id, guild_id),
        )
        credited = await tx.fetch_all(
            "SELECT q.id, (SELECT count(*) FROM session_question_author o "
            "WHERE o.question_id = q.id AND o.user_id != ?) AS others "
            "FROM session_question q JOIN session_question_author a ON a.question_id = q.id "
            "WHERE q.guild_id = ? AND a.user_id = ?",
            (user_id, guild_id, user_id),
        )
        alone = [(row["id"],) for row in credited if row["others"] == 0]
        shared = [row["id"] for row in credited if row["others"] > 0]
        for question_id in shared:
            deleted += await tx.execute_rowcount(
                "DELETE FROM session_question_author WHERE question_id = ? AND user_id = ?",
                (question_id, user_id),
            )
            await tx.execute(
                "UPDATE session_question SET author_id = (SELECT user_id FROM "
                "session_question_author WHERE question_id = ? ORDER BY rowid LIMIT 1) "
                "WHERE id = ? AND author_id = ?",
                (question_id, question_id, user_id),
            )
        # Duplicates merged into a question about to go keep their rows, pointing nowhere.
        await tx.executemany(
            "UPDATE session_question SET merged_into = NULL WHERE merged_into = ?", alone
        )
        for (question_id,) in alone:
            deleted += await tx.execute_rowcount(
                "DELETE FROM session_question WHERE id = ?", (question_id,)
            )
        return deleted

    async def _close(self, tx: Transaction, question_id: int, status: QuestionStatus) -> Question:
        await tx.execute(
            "UPDATE session_question SET status = ?, closed_at = ? WHERE id = ?",
            (status, iso(self._clock()), question_id),
        )
        return await _one(tx, question_id)


async def _top(tx: Transaction, guild_id: int, session_id: int) -> Question | None:
    queue = await _select(
        tx,
        "q.guild_id = ? AND q.session_id = ? AND q.status = 'open'",
        (guild_id, session_id),
        order=_RANKED,
        limit=1,
    )
    return queue[0] if queue else None


async def _owned(tx: Transaction, guild_id: int, question_id: int) -> Question:
    found = await _select(tx, "q.id = ? AND q.guild_id = ?", (question_id, guild_id))
    if not found:
        raise DomainError("session.question.unknown")
    return found[0]


async def _one(tx: Transaction, question_id: int) -> Question:
    found = await _select(tx, "q.id = ?", (question_id,))
    assert found, question_id
    return found[0]


async def _select(
    tx: Transaction,
    where: str,
    params: tuple[Any, ...],
    *,
    order: str = "q.id",
    limit: int = -1,
) -> list[Question]:
    rows = await tx.fetch_all(f"{_SELECT} WHERE {where} ORDER BY {order} LIMIT ?", (*params, limit))
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    authors: dict[int, list[int]] = {question_id: [] for question_id in ids}
    credits = await tx.fetch_all(
        "SELECT a.question_id, a.user_id FROM session_question_author a "
        "JOIN session_question q ON q.id = a.question_id "
        f"WHERE a.question_id IN ({', '.join('?' * len(ids))}) "
        "ORDER BY a.question_id, a.user_id != q.author_id, a.rowid",
        ids,
    )
    for credit in credits:
        authors[credit["question_id"]].append(int(credit["user_id"]))
    return [_question(row, authors[row["id"]]) for row in rows]


def _question(row: Any, author_ids: list[int]) -> Question:
    return Question(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        session_id=row["session_id"],
        author_ids=tuple(author_ids),
        text=row["text"],
        status=row["status"],
        votes=int(row["votes"]),
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
    )
