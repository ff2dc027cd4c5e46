"""The weekly digest, the community's newsletter: its schedule and exactly-once ledger, its
contents, the member spotlight, and the DMs to members who opted in. No discord import.

See `schedule` for what a week is, `ledger` for how each week's digest goes out once, and
`content` for what each section holds.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from bot.db import Database, Transaction
from bot.services.clock import Clock, iso, utcnow
from bot.services.digest.content import assemble
from bot.services.digest.ledger import DIGEST_JOB, DM_JOB, REPORT_JOB, DigestLedger
from bot.services.digest.models import DigestContent, DmOutcome
from bot.services.digest.spotlights import DigestSpotlights
from bot.services.feedback.board import FeedbackBoard
from bot.services.feedback.polls import PollService
from bot.services.guild_config import GuildConfigService
from bot.services.jobs import JobQueue
from bot.services.preferences import PreferenceService

__all__ = ["DIGEST_JOB", "DM_JOB", "REPORT_JOB", "DigestService"]


class DigestService(DigestLedger, DigestSpotlights):
    """The weekly digest of a guild. Registered with the privacy registry as 'digest' (the
    spotlights about or by a member, and the digest DMs they were sent)."""

    name = "digest"

    def __init__(
        self,
        db: Database,
        jobs: JobQueue,
        config: GuildConfigService,
        preferences: PreferenceService,
        polls: PollService,
        board: FeedbackBoard,
        clock: Clock = utcnow,
    ) -> None:
        self._db = db
        self._jobs = jobs
        self._config = config
        self._preferences = preferences
        self._polls = polls
        self._board = board
        self._clock = clock

    # -- contents ------------------------------------------------------------------------------
    async def preview(self, guild_id: int) -> DigestContent:
        """What a digest sent now would say (the window since the last one, the waiting
        spotlight)."""
        until = self._clock()
        since = await self.window_start(guild_id, until)
        spotlight = await self.waiting_spotlight(guild_id)
        return await assemble(self._db, self._polls, self._board, guild_id, since, until, spotlight)

    async def issue(self, guild_id: int, week: str) -> DigestContent | None:
        """A claimed week's digest, from its recorded window and spotlight (the channel post,
        and the DMs built again after a restart); None for a week never claimed."""
        run = await self.run(guild_id, week)
        if run is None or run.since is None or run.until is None:
            return None
        spotlight = await self.spotlight_of_week(guild_id, week)
        return await assemble(
            self._db, self._polls, self._board, guild_id, run.since, run.until, spotlight
        )

    # -- DMs -----------------------------------------------------------------------------------
    async def dm_recipients(
        self, guild_id: int, week: str, candidates: Collection[int]
    ) -> list[int]:
        """Of the guild's members (`candidates`), those who opted in to the digest by DM and
        were not yet handled for this week, in id order."""
        wanting = await self._preferences.wanting(candidates, "digest")
        if not wanting:
            return []
        rows = await self._db.fetch_all(
            "SELECT user_id FROM digest_dm WHERE guild_id = ? AND week = ?", (guild_id, week)
        )
        done = {int(row["user_id"]) for row in rows}
        return sorted(wanting - done)

    async def claim_dms(self, guild_id: int, week: str, user_ids: Collection[int]) -> list[int]:
        """Record these members as handled for the week before their DMs are sent (so nobody
        gets two); returns those not handled before."""
        if not user_ids:
            return []
        now = iso(self._clock())
        async with self._db.transaction() as tx:
            rows = await tx.fetch_all(
                "SELECT user_id FROM digest_dm WHERE guild_id = ? AND week = ?", (guild_id, week)
            )
            done = {int(row["user_id"]) for row in rows}
            fresh = sorted(set(user_ids) - done)
            await tx.executemany(
                "INSERT INTO digest_dm (guild_id, week, user_id, outcome, at) "
                "VALUES (?, ?, ?, 'claimed', ?)",
                [(guild_id, week, user_id, now) for user_id in fresh],
            )
        return fresh

    async def record_dms(self, guild_id: int, week: str, outcomes: Mapping[int, DmOutcome]) -> None:
        """How each DM went: sent, the channel fallback, or failed."""
        now = iso(self._clock())
        async with self._db.transaction() as tx:
            await tx.executemany(
                "UPDATE digest_dm SET outcome = ?, at = ? WHERE guild_id = ? AND week = ? "
                "AND user_id = ?",
                [(outcome, now, guild_id, week, user) for user, outcome in outcomes.items()],
            )

    async def dm_outcomes(self, guild_id: int, week: str) -> dict[int, str]:
        """Member -> outcome of the week's digest DM."""
        rows = await self._db.fetch_all(
            "SELECT user_id, outcome FROM digest_dm WHERE guild_id = ? AND week = ?",
            (guild_id, week),
        )
        return {int(row["user_id"]): str(row["outcome"]) for row in rows}

    # -- privacy -------------------------------------------------------------------------------
    async def export_member(self, guild_id: int, user_id: int) -> dict[str, object]:
        """Privacy export: spotlights about the member and those they wrote, and the digests
        they were sent by DM."""
        about = await self._db.fetch_all(
            "SELECT text, created_at, week FROM digest_spotlight WHERE guild_id = ? "
            "AND member_id = ? ORDER BY id",
            (guild_id, user_id),
        )
        written = await self._db.fetch_all(
            "SELECT member_id, text, created_at, week FROM digest_spotlight WHERE guild_id = ? "
            "AND author_id = ? ORDER BY id",
            (guild_id, user_id),
        )
        dms = await self._db.fetch_all(
            "SELECT week, outcome, at FROM digest_dm WHERE guild_id = ? AND user_id = ? "
            "ORDER BY week",
            (guild_id, user_id),
        )
        exported: dict[str, object] = {}
        if about:
            exported["spotlights_about_you"] = [dict(row) for row in about]
        if written:
            exported["spotlights_written"] = [
                {**dict(row), "member_id": str(row["member_id"])} for row in written
            ]
        if dms:
            exported["digest_dms"] = [dict(row) for row in dms]
        return exported

    async def forget_member(self, tx: Transaction, guild_id: int, user_id: int) -> int:
        """Privacy forget: spotlights about the member and their digest DM records go; the
        spotlights they wrote stay, without their name."""
        deleted = await tx.execute_rowcount(
            "DELETE FROM digest_spotlight WHERE guild_id = ? AND member_id = ?",
            (guild_id, user_id),
        )
        deleted += await tx.execute_rowcount(
            "DELETE FROM digest_dm WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        await tx.execute(
            "UPDATE digest_spotlight SET author_id = NULL WHERE guild_id = ? AND author_id = ?",
            (guild_id, user_id),
        )
        return deleted
