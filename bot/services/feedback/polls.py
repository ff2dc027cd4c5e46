"""Polls, 1-5 ratings and NPS surveys: one table of questions, three kinds, button votes.

A vote is read and written in one transaction, so a double click never counts twice. On a
single-choice poll a click on another option moves the vote and a click on the chosen one takes it
back; on a multiple-choice poll each click toggles that option; a rating or NPS click sets the
answer. Anonymous polls key votes by HMAC(salt, member id) while open, only to stop double votes;
closing reduces them to counts per option and drops the salt, so nobody can learn who voted what.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso, utcnow
from bot.services.feedback.surveys import SCALES, SurveyReport, survey_report
from bot.services.jobs import JobQueue
from bot.services.sessions.when import parse_when

if TYPE_CHECKING:
    from bot.services.leaders.signals import EngagementSignals

CLOSE_JOB = "poll.close"
OPTIONS_MIN, OPTIONS_MAX = 2, 10
OPTION_MAX = 80
QUESTION_MAX = 300
PRODUCT_MAX = 80
COMMENT_MAX = 1000
CLOSES_MIN, CLOSES_MAX = timedelta(minutes=1), timedelta(days=365)
PollKind = Literal["poll", "rating", "nps"]

_DURATION = re.compile(
    r"(?P<count>\d{1,6})\s*(?:(?P<m>m|mins?|minutes?|minutos?|minutter)"
    r"|(?P<h>h|hrs?|hours?|heures?|horas?|t|timer)"
    r"|(?P<d>d|days?|j|jours?|dias?|dage?)|(?P<w>w|weeks?|sem|semaines?|semanas?|uger?))"
)
_OPTION_SPLIT = re.compile(r"[;\n]")


@dataclass(frozen=True)
class Poll:
    """A poll, rating or NPS question and its options (in button order)."""

    id: int
    guild_id: int
    kind: PollKind
    question: str
    product: str | None
    options: tuple[str, ...]
    multi: bool
    anonymous: bool
    hide_results: bool
    role_id: int | None
    author_id: int
    channel_id: int | None
    message_id: int | None
    closes_at: datetime | None
    closed_at: datetime | None
    created_at: datetime

    @property
    def is_open(self) -> bool:
        """Still taking votes (the deadline job may not have run yet: see `accepts_votes`)."""
        return self.closed_at is None

    def accepts_votes(self, now: datetime) -> bool:
        """Open and not past its deadline."""
        return self.is_open and (self.closes_at is None or now < self.closes_at)


@dataclass(frozen=True)
class Ballot:
    """What a click did: the options the member now holds (positions), and whether it changed."""

    poll: Poll
    chosen: tuple[int, ...]
    changed: bool


@dataclass(frozen=True)
class Closing:
    """A close (or a no-op when the poll was already closed)."""

    poll: Poll
    changed: bool


@dataclass(frozen=True)
class Export:
    """A poll's CSV: header and rows (nothing per member on anonymous polls)."""

    header: tuple[str, ...]
    rows: tuple[dict[str, object], ...]


def parse_options(text: str) -> tuple[str, ...]:
    """2 to 10 options separated by `;` or new lines, each 1-80 characters, no duplicates."""
    options = [" ".join(piece.split()) for piece in _OPTION_SPLIT.split(text)]
    options = [option for option in options if option]
    if not OPTIONS_MIN <= len(options) <= OPTIONS_MAX:
        raise DomainError(
            "poll.options.count", min=OPTIONS_MIN, max=OPTIONS_MAX, count=len(options)
        )
    for option in options:
        if len(option) > OPTION_MAX:
            raise DomainError("poll.options.too_long", max=OPTION_MAX, option=option[:40])
    seen: set[str] = set()
    for option in options:
        if option.casefold() in seen:
            raise DomainError("poll.options.duplicate", option=option)
        seen.add(option.casefold())
    return tuple(options)


def check_question(text: str, limit: int = QUESTION_MAX) -> str:
    """The question, whitespace tidied, 1-300 characters."""
    question = " ".join(text.split())
    if not question or len(question) > limit:
        raise DomainError("poll.question.invalid", max=limit)
    return question


def check_product(text: str) -> str:
    """A product name, 1-80 characters."""
    product = " ".join(text.split())
    if not product or len(product) > PRODUCT_MAX:
        raise DomainError("poll.product.invalid", max=PRODUCT_MAX)
    return product


def parse_closes(text: str, *, locale: str, tz: str, now: datetime) -> datetime:
    """When a poll closes: a duration (3d, 12h, 90m, 2w) from now, or a date and time in the
    guild's zone (a date alone means the end of that day); 1 minute to 1 year ahead."""
    cleaned = " ".join(text.lower().split())
    invalid = DomainError("poll.closes.invalid", value=text[:40])
    if match := _DURATION.fullmatch(cleaned):
        count = int(match["count"])
        if match["m"]:
            delta = timedelta(minutes=count)
        elif match["h"]:
            delta = timedelta(hours=count)
        elif match["d"]:
            delta = timedelta(days=count)
        else:
            delta = timedelta(weeks=count)
        if not CLOSES_MIN <= delta <= CLOSES_MAX:
            raise invalid
        return now + delta
    try:
        moment = parse_when(cleaned, locale=locale, tz=tz, now=now)
    except DomainError as error:
        if error.key != "session.when.no_time":
            raise invalid from None
        try:
            moment = parse_when(f"{cleaned} 23:59", locale=locale, tz=tz, now=now)
        except DomainError:
            raise invalid from None
    if moment - now < CLOSES_MIN:
        raise invalid
    return moment


def voter_key(salt: str, user_id: int) -> str:
    """An anonymous poll's voter: a keyed hash, meaningless once the salt is dropped."""
    return hmac.new(bytes.fromhex(salt), str(user_id).encode(), hashlib.sha256).hexdigest()


class PollService:
    """Polls of every guild."""

    name = "polls"

    def __init__(
        self,
        db: Database,
        jobs: JobQueue,
        clock: Clock = utcnow,
        *,
        signals: EngagementSignals | None = None,
    ) -> None:
        self._db = db
        self._jobs = jobs
        self._clock = clock
        self._signals = signals

    # -- creating ------------------------------------------------------------------------------
    async def create_poll(
        self,
        guild_id: int,
        author_id: int,
        *,
        question: str,
        options: str,
        multi: bool = False,
        anonymous: bool = False,
        hide_results: bool = False,
        closes_at: datetime | None = None,
        role_id: int | None = None,
    ) -> Poll:
        """A poll with 2-10 options; its closing job is armed with it."""
        checked = check_question(question)
        labels = parse_options(options)
        if closes_at is not None and closes_at - self._clock() < CLOSES_MIN:
            raise DomainError("poll.closes.invalid", value=iso(closes_at))
        return await self._insert(
            guild_id,
            author_id,
            "poll",
            checked,
            None,
            labels,
            multi=multi,
            anonymous=anonymous,
            hide_results=hide_results,
            closes_at=closes_at,
            role_id=role_id,
        )

    async def create_rating(
        self, guild_id: int, author_id: int, *, product: str, question: str
    ) -> Poll:
        """A 1-5 rating of a product."""
        labels = tuple(str(value) for value in SCALES["rating"])
        return await self._insert(
            guild_id, author_id, "rating", check_question(question), check_product(product), labels
        )

    async def create_nps(
        self, guild_id: int, author_id: int, *, question: str, product: str | None = None
    ) -> Poll:
        """A 0-10 "how likely are you to recommend" question."""
        labels = tuple(str(value) for value in SCALES["nps"])
        return await self._insert(
            guild_id,
            author_id,
            "nps",
            check_question(question),
            check_product(product) if product is not None else None,
            labels,
        )

    async def _insert(
        self,
        guild_id: int,
        author_id: int,
        kind: PollKind,
        question: str,
        product: str | None,
        labels: Sequence[str],
        *,
        multi: bool = False,
        anonymous: bool = False,
        hide_results: bool = False,
        closes_at: datetime | None = None,
        role_id: int | None = None,
    ) -> Poll:
        async with self._db.transaction() as tx:
            poll_id = await tx.execute(
                "INSERT INTO poll (guild_id, kind, question, product, multi, anonymous, "
                "hide_results, role_id, author_id, closes_at, ballot_salt, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id,
                    kind,
                    question,
                    product,
                    int(multi),
                    int(anonymous),
                    int(hide_results),
                    role_id,
                    author_id,
                    iso(closes_at) if closes_at else None,
                    secrets.token_hex(32) if anonymous else None,
                    iso(self._clock()),
                ),
            )
            await tx.executemany(
                "INSERT INTO poll_option (poll_id, position, label) VALUES (?, ?, ?)",
                [(poll_id, position, label) for position, label in enumerate(labels)],
            )
            if closes_at is not None:
                await self._jobs.schedule(
                    CLOSE_JOB,
                    str(poll_id),
                    closes_at,
                    guild_id=guild_id,
                    payload={"poll_id": poll_id},
                )
            return await _one(tx, poll_id)

    async def set_message(self, poll_id: int, channel_id: int, message_id: int) -> None:
        """Link the posted message that carries the buttons."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE poll SET channel_id = ?, message_id = ? WHERE id = ?",
                (channel_id, message_id, poll_id),
            )

    async def remove(self, guild_id: int, poll_id: int) -> None:
        """Drop a poll that could not be posted (and its job)."""
        async with self._db.transaction() as tx:
            if await tx.execute_rowcount(
                "DELETE FROM poll WHERE id = ? AND guild_id = ?", (poll_id, guild_id)
            ):
                await self._jobs.cancel(CLOSE_JOB, str(poll_id))
                if self._signals is not None:
                    await self._signals.clear_once(guild_id, f"poll:{poll_id}")

    # -- reading -------------------------------------------------------------------------------
    async def get(self, guild_id: int, poll_id: int) -> Poll:
        """A poll of this guild, or DomainError("poll.unknown")."""
        async with self._db.transaction() as tx:
            return await _owned(tx, guild_id, poll_id)

    async def recent(self, guild_id: int, limit: int = 25) -> list[Poll]:
        """The guild's polls, open ones first, newest first (for autocomplete)."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                "SELECT id FROM poll WHERE guild_id = ? "
                "ORDER BY closed_at IS NOT NULL, created_at DESC, id DESC LIMIT ?",
                (guild_id, limit),
            )
            return [await _one(tx, row["id"]) for row in rows]

    async def open_posted(self) -> list[Poll]:
        """Open polls of every guild that have a posted message."""
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                "SELECT id FROM poll WHERE closed_at IS NULL AND message_id IS NOT NULL ORDER BY id"
            )
            return [await _one(tx, row["id"]) for row in rows]

    async def counts(self, poll: Poll) -> tuple[int, ...]:
        """Votes per option, in option order."""
        async with self._db.transaction() as tx:
            return await _counts(tx, poll)

    async def voters(self, poll_id: int) -> int:
        """How many members voted (open or named polls; 0 once an anonymous poll closed)."""
        row = await self._db.fetch_one(
            "SELECT count(DISTINCT voter) FROM poll_vote WHERE poll_id = ?", (poll_id,)
        )
        return int(row[0]) if row else 0

    async def choices_of(self, poll: Poll, user_id: int) -> tuple[int, ...]:
        """The options a member holds on an open poll."""
        async with self._db.transaction() as tx:
            voter = _voter(await _salt(tx, poll.id), poll, user_id)
            return await _held(tx, poll.id, voter)

    # -- voting --------------------------------------------------------------------------------
    async def vote(
        self,
        guild_id: int,
        poll_id: int,
        user_id: int,
        position: int,
        role_ids: Collection[int],
        *,
        via_message: int | None = None,
    ) -> Ballot:
        """A click on option `position` (0-based) by a member holding `role_ids`, on the message
        `via_message` (a button copied onto another message is refused). The voter's first vote
        on a poll counts once in their engagement signals (participation, never the choice)."""
        async with self._db.transaction() as tx:
            poll = await _owned(tx, guild_id, poll_id)
            if via_message is not None and poll.message_id not in (None, via_message):
                raise DomainError("poll.button.invalid")
            if not 0 <= position < len(poll.options):
                raise DomainError("poll.option.invalid")
            if not poll.accepts_votes(self._clock()):
                raise DomainError("poll.closed")
            if poll.role_id is not None and poll.role_id not in role_ids:
                raise DomainError("poll.vote.role", role=f"<@&{poll.role_id}>")
            voter = _voter(await _salt(tx, poll.id), poll, user_id)
            held = set(await _held(tx, poll.id, voter))
            if poll.kind != "poll":
                wanted = {position}
            elif poll.multi:
                wanted = held ^ {position}
            else:
                wanted = set() if held == {position} else {position}
            await tx.executemany(
                "DELETE FROM poll_vote WHERE poll_id = ? AND voter = ? AND position = ?",
                [(poll.id, voter, gone) for gone in held - wanted],
            )
            voted_at = None if poll.anonymous else iso(self._clock())
            await tx.executemany(
                "INSERT INTO poll_vote (poll_id, voter, position, voted_at) VALUES (?, ?, ?, ?)",
                [(poll.id, voter, added, voted_at) for added in wanted - held],
            )
            if wanted - held and self._signals is not None:
                await self._signals.record_once(guild_id, user_id, "vote", f"poll:{poll.id}")
            return Ballot(poll, tuple(sorted(wanted)), wanted != held)

    async def comment(self, guild_id: int, poll_id: int, user_id: int, text: str) -> Poll:
        """A comment with a rating or NPS answer (set again: replaced)."""
        text = text.strip()
        if not text or len(text) > COMMENT_MAX:
            raise DomainError("poll.comment.invalid", max=COMMENT_MAX)
        async with self._db.transaction() as tx:
            poll = await _owned(tx, guild_id, poll_id)
            if poll.kind == "poll":
                raise DomainError("poll.unknown")
            if not poll.accepts_votes(self._clock()):
                raise DomainError("poll.closed")
            voter = str(user_id)
            if not await _held(tx, poll.id, voter):
                raise DomainError("poll.comment.answer_first")
            await tx.execute(
                "INSERT INTO poll_comment (poll_id, voter, text, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (poll_id, voter) DO UPDATE SET text = excluded.text, "
                "created_at = excluded.created_at",
                (poll.id, voter, text, iso(self._clock())),
            )
            return poll

    # -- closing -------------------------------------------------------------------------------
    async def close(self, guild_id: int, poll_id: int) -> Closing:
        """Close a poll (idempotent). Anonymous votes become counts and the salt is dropped."""
        async with self._db.transaction() as tx:
            poll = await _owned(tx, guild_id, poll_id)
            if not poll.is_open:
                return Closing(poll, changed=False)
            if poll.anonymous:
                counts = await _counts(tx, poll)
                await tx.executemany(
                    "UPDATE poll_option SET final_votes = ? WHERE poll_id = ? AND position = ?",
                    [(count, poll.id, position) for position, count in enumerate(counts)],
                )
                await tx.execute("DELETE FROM poll_vote WHERE poll_id = ?", (poll.id,))
            await tx.execute(
                "UPDATE poll SET closed_at = ?, ballot_salt = NULL WHERE id = ?",
                (iso(self._clock()), poll.id),
            )
            await self._jobs.cancel(CLOSE_JOB, str(poll.id))
            if self._signals is not None:  # no more votes: who already voted needn't be kept
                await self._signals.clear_once(guild_id, f"poll:{poll.id}")
            return Closing(await _one(tx, poll.id), changed=True)

    # -- results -------------------------------------------------------------------------------
    async def export(self, guild_id: int, poll_id: int) -> Export:
        """The poll as CSV rows: one per vote on named polls, per answer on surveys (with the
        comment), and only counts per option on anonymous polls."""
        async with self._db.transaction() as tx:
            poll = await _owned(tx, guild_id, poll_id)
            if poll.anonymous:
                counts = await _counts(tx, poll)
                total = sum(counts)
                return Export(
                    ("option", "label", "votes", "percent"),
                    tuple(
                        {
                            "option": position + 1,
                            "label": label,
                            "votes": count,
                            "percent": f"{100 * count / total:.1f}" if total else "0.0",
                        }
                        for position, (label, count) in enumerate(
                            zip(poll.options, counts, strict=True)
                        )
                    ),
                )
            rows = await tx.fetch_all(
                "SELECT v.voter, v.position, v.voted_at, c.text AS comment FROM poll_vote v "
                "LEFT JOIN poll_comment c ON c.poll_id = v.poll_id AND c.voter = v.voter "
                "WHERE v.poll_id = ? ORDER BY v.voted_at, v.position, v.voter",
                (poll.id,),
            )
        if poll.kind == "poll":
            return Export(
                ("user_id", "option", "label", "voted_at"),
                tuple(
                    {
                        "user_id": row["voter"],
                        "option": row["position"] + 1,
                        "label": poll.options[row["position"]],
                        "voted_at": row["voted_at"],
                    }
                    for row in rows
                ),
            )
        return Export(
            ("user_id", "score", "voted_at", "comment"),
            tuple(
                {
                    "user_id": row["voter"],
                    "score": poll.options[row["position"]],
                    "voted_at": row["voted_at"],
                    "comment": row["comment"] or "",
                }
                for row in rows
            ),
        )

    async def survey_report(self, guild_id: int, product: str | None = None) -> SurveyReport:
        """NPS and ratings of the guild: overall, per month and per product."""
        return await survey_report(self._db, guild_id, product)

    # -- privacy -------------------------------------------------------------------------------
    async def export_member(self, guild_id: int, user_id: int) -> dict[str, object]:
        """Privacy export: named votes, survey answers and comments, polls asked. Anonymous
        votes are not linked to anyone, so they are not included."""
        votes = await self._db.fetch_all(
            "SELECT p.id, p.kind, p.question, o.label, v.voted_at FROM poll_vote v "
            "JOIN poll p ON p.id = v.poll_id JOIN poll_option o ON o.poll_id = v.poll_id "
            "AND o.position = v.position WHERE p.guild_id = ? AND p.anonymous = 0 "
            "AND v.voter = ? ORDER BY p.id, v.position",
            (guild_id, str(user_id)),
        )
        comments = await self._db.fetch_all(
            "SELECT p.id, c.text, c.created_at FROM poll_comment c JOIN poll p "
            "ON p.id = c.poll_id WHERE p.guild_id = ? AND c.voter = ? ORDER BY p.id",
            (guild_id, str(user_id)),
        )
        asked = await self._db.fetch_all(
            "SELECT id, question FROM poll WHERE guild_id = ? AND author_id = ? ORDER BY id",
            (guild_id, user_id),
        )
        found: dict[str, object] = {}
        if votes:
            found["votes"] = [
                {
                    "poll_id": row["id"],
                    "kind": row["kind"],
                    "question": row["question"],
                    "answer": row["label"],
                    "voted_at": row["voted_at"],
                }
                for row in votes
            ]
        if comments:
            found["comments"] = [
                {"poll_id": row["id"], "text": row["text"], "created_at": row["created_at"]}
                for row in comments
            ]
        if asked:
            found["asked"] = [{"poll_id": row["id"], "question": row["question"]} for row in asked]
        return found

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Privacy forget: their votes (open anonymous ones too, found through the salt) and
        comments; polls they asked stay, credited to nobody."""
        deleted = await tx.execute_rowcount(
            "DELETE FROM poll_vote WHERE voter = ? AND poll_id IN "
            "(SELECT id FROM poll WHERE guild_id = ? AND anonymous = 0)",
            (str(user_id), guild_id),
        )
        open_anonymous = await tx.fetch_all(
            "SELECT id, ballot_salt FROM poll WHERE guild_id = ? AND anonymous = 1 "
            "AND ballot_salt IS NOT NULL",
            (guild_id,),
        )
        for row in open_anonymous:
            deleted += await tx.execute_rowcount(
                "DELETE FROM poll_vote WHERE poll_id = ? AND voter = ?",
                (row["id"], voter_key(row["ballot_salt"], user_id)),
            )
        deleted += await tx.execute_rowcount(
            "DELETE FROM poll_comment WHERE voter = ? AND poll_id IN "
            "(SELECT id FROM poll WHERE guild_id = ?)",
            (str(user_id), guild_id),
        )
        deleted += await tx.execute_rowcount(
            "UPDATE poll SET author_id = 0 WHERE guild_id = ? AND author_id = ?",
            (guild_id, user_id),
        )
        return deleted


def _voter(salt: str | None, poll: Poll, user_id: int) -> str:
    if poll.anonymous:
        if salt is None:  # closed: votes are counts now
            raise DomainError("poll.closed")
        return voter_key(salt, user_id)
    return str(user_id)


async def _salt(tx: Transaction, poll_id: int) -> str | None:
    row = await tx.fetch_one("SELECT ballot_salt FROM poll WHERE id = ?", (poll_id,))
    return row["ballot_salt"] if row else None


async def _held(tx: Transaction, poll_id: int, voter: str) -> tuple[int, ...]:
    rows = await tx.fetch_all(
        "SELECT position FROM poll_vote WHERE poll_id = ? AND voter = ? ORDER BY position",
        (poll_id, voter),
    )
    return tuple(int(row["position"]) for row in rows)


async def _counts(tx: Transaction, poll: Poll) -> tuple[int, ...]:
    if poll.anonymous and not poll.is_open:
        rows = await tx.fetch_all(
            "SELECT position, coalesce(final_votes, 0) AS n FROM poll_option WHERE poll_id = ?",
            (poll.id,),
        )
    else:
        rows = await tx.fetch_all(
            "SELECT position, count(*) AS n FROM poll_vote WHERE poll_id = ? GROUP BY position",
            (poll.id,),
        )
    counts = [0] * len(poll.options)
    for row in rows:
        if 0 <= row["position"] < len(counts):
            counts[row["position"]] = int(row["n"])
    return tuple(counts)


async def _owned(tx: Transaction, guild_id: int, poll_id: int) -> Poll:
    row = await tx.fetch_one(
        "SELECT * FROM poll WHERE id = ? AND guild_id = ?", (poll_id, guild_id)
    )
    if row is None:
        raise DomainError("poll.unknown")
    return await _poll(tx, row)


async def _one(tx: Transaction, poll_id: int) -> Poll:
    row = await tx.fetch_one("SELECT * FROM poll WHERE id = ?", (poll_id,))
    assert row is not None, poll_id
    return await _poll(tx, row)


async def _poll(tx: Transaction, row: Any) -> Poll:
    options = await tx.fetch_all(
        "SELECT label FROM poll_option WHERE poll_id = ? ORDER BY position", (row["id"],)
    )
    return Poll(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        kind=row["kind"],
        question=row["question"],
        product=row["product"],
        options=tuple(str(option["label"]) for option in options),
        multi=bool(row["multi"]),
        anonymous=bool(row["anonymous"]),
        hide_results=bool(row["hide_results"]),
        role_id=row["role_id"],
        author_id=int(row["author_id"]),
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        closes_at=_when(row["closes_at"]),
        closed_at=_when(row["closed_at"]),
        created_at=datetime.fromisoformat(row["created_at"]),
    )


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
