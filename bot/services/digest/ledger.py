"""The digest's schedule and its run ledger: exactly one digest per week.

One durable job per guild (DIGEST_JOB, key = guild id) is armed for the next week owed, with a
deadline (GRACE after it is due). When it fires, `check_due` decides: send the week's digest,
wait (the slot moved later), skip (the deadline passed while the bot was offline: the missed
weeks are recorded and logged, never sent late), or nothing (already settled, or turned off).
The week is then claimed in the ledger before anything is posted (`claim`), so a restart, a
second start of the job or `/digest send` racing with it can never post a week twice. A claim
left by a bot that stopped before recording its post (`claimed`) is settled at the next start:
recorded as sent when the post is found in the channel, else given back (`release`) so that the
week goes out if its deadline has not passed.

A change of day, hour, channel or time zone re-arms the job with `CHANGE_CATCH_UP`: if the
week's new slot already passed and the week has had no digest, it goes out at once (a change
never skips a week); a week that had its digest gets none again (a change never sends twice).
Turning the digest on starts from the next slot (`start_week`): nothing is posted at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.db import Database, Transaction
from bot.errors import DomainError
from bot.services.clock import Clock, iso
from bot.services.digest.models import DAYS, DigestSettings, Due, Run, Via, run_of, when
from bot.services.digest.schedule import (
    CHANGE_CATCH_UP,
    GRACE,
    Plan,
    missed_weeks,
    next_slot,
    plan,
    shift_week,
    slot_in,
    week_of,
)
from bot.services.guild_config import GuildConfigService
from bot.services.jobs import JobQueue

DIGEST_JOB = "digest.week"  # one per guild: the next digest owed
DM_JOB = "digest.dms"  # one per guild and week: the digest by DM to those who opted in
REPORT_JOB = "digest.report"  # one per guild and week: the founders' report after the digest
#: A digest window is the time since the last digest, from 7 days up to 14 (after a skipped week).
WINDOW, MAX_WINDOW = timedelta(days=7), timedelta(days=14)
#: While the channel can't be posted in, the week's digest is tried again this often until its
#: deadline.
RETRY_UNPOSTABLE = timedelta(hours=1)
#: DM records are kept this many weeks (a week's fan-out resumes after a restart).
DM_KEEP_WEEKS = 8


class DigestLedger:
    """Settings, arming and the ledger (mixed into DigestService)."""

    _db: Database
    _jobs: JobQueue
    _config: GuildConfigService
    _clock: Clock

    # -- settings ------------------------------------------------------------------------------
    async def settings(self, guild_id: int) -> DigestSettings:
        """The guild's digest settings (off by default)."""
        row = await self._db.fetch_one(
            "SELECT * FROM digest_settings WHERE guild_id = ?", (guild_id,)
        )
        if row is None:
            return DigestSettings(guild_id)
        return DigestSettings(
            guild_id=guild_id,
            enabled=bool(row["enabled"]),
            day=int(row["day"]),
            hour=int(row["hour"]),
            channel_id=row["channel_id"],
            start_week=row["start_week"],
            unpostable_told_at=when(row["unpostable_told_at"]),
        )

    async def configure(
        self,
        guild_id: int,
        *,
        day: int | None = None,
        hour: int | None = None,
        channel_id: int | None = None,
        off: bool = False,
    ) -> tuple[DigestSettings, Plan | None]:
        """Change the schedule (a day or hour turns it on; `off` turns it off) and re-arm it.
        Returns the settings and the next digest planned (None when off)."""
        if day is not None and not 0 <= day < len(DAYS):
            raise DomainError("digest.setup.bad_day", value=day)
        if hour is not None and not 0 <= hour <= 23:
            raise DomainError("digest.setup.bad_hour", value=hour)
        before = await self.settings(guild_id)
        enabled = False if off else before.enabled or day is not None or hour is not None
        day = before.day if day is None else day
        hour = before.hour if hour is None else hour
        channel = before.channel_id if channel_id is None else channel_id
        start_week = before.start_week if before.enabled and enabled else None
        if enabled and start_week is None:  # turned on: owed from the next slot, never at once
            timezone = await self._timezone(guild_id)
            done = await self._last_week(self._db, guild_id)
            slot = next_slot(self._clock(), day, hour, timezone)
            while done is not None and slot.week <= done:
                slot = slot_in(shift_week(slot.week, 1), day, hour, timezone)
            start_week = slot.week
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO digest_settings (guild_id, enabled, day, hour, channel_id, "
                "start_week, unpostable_told_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET enabled = excluded.enabled, "
                "day = excluded.day, hour = excluded.hour, channel_id = excluded.channel_id, "
                "start_week = excluded.start_week, unpostable_told_at = NULL, "
                "updated_at = excluded.updated_at",
                (guild_id, int(enabled), day, hour, channel, start_week, iso(self._clock())),
            )
            planned = await self.rearm(guild_id, catch_up=CHANGE_CATCH_UP)
        return await self.settings(guild_id), planned

    async def rearm(self, guild_id: int, *, catch_up: timedelta = GRACE) -> Plan | None:
        """Arm the guild's job for the next week owed (cancel it when off). `catch_up`:
        CHANGE_CATCH_UP after a change of schedule or time zone, GRACE otherwise."""
        settings = await self.settings(guild_id)
        if not settings.enabled:
            await self._jobs.cancel(DIGEST_JOB, str(guild_id))
            return None
        timezone = await self._timezone(guild_id)
        done = await self._done_through(settings)
        planned = plan(
            self._clock(), settings.day, settings.hour, timezone, done, catch_up=catch_up
        )
        await self._arm(guild_id, planned)
        return planned

    async def ensure_armed(self, guild_id: int) -> Plan | None:
        """At startup: arm the job if the guild has none (one armed before keeps its time, so
        a slot missed while the bot was down is judged by its deadline)."""
        pending = await self.armed(guild_id)
        if pending is not None:
            return pending
        return await self.rearm(guild_id)

    async def armed(self, guild_id: int) -> Plan | None:
        """The digest the guild's job is armed for, if any."""
        for job in await self._jobs.pending(DIGEST_JOB):
            if job.key == str(guild_id):
                deadline = datetime.fromisoformat(str(job.payload["deadline"]))
                return Plan(str(job.payload["week"]), job.due_at, deadline)
        return None

    async def _arm(self, guild_id: int, planned: Plan) -> None:
        await self._jobs.schedule(
            DIGEST_JOB,
            str(guild_id),
            planned.due,
            guild_id=guild_id,
            payload={"week": planned.week, "deadline": iso(planned.deadline)},
        )

    # -- the job -------------------------------------------------------------------------------
    async def check_due(self, guild_id: int, week: str, deadline: datetime) -> Due:
        """The job armed for `week` fired: what to do now (see the module docstring). 'skip'
        records the missed weeks and re-arms; 'send' leaves the claim and re-arming to the
        caller (`claim`, then `rearm` once posted)."""
        settings = await self.settings(guild_id)
        if not settings.enabled:
            return Due("off")
        now = self._clock()
        if week <= await self._done_through(settings):
            await self.rearm(guild_id)
            return Due("settled", week)
        timezone = await self._timezone(guild_id)
        slot = slot_in(week, settings.day, settings.hour, timezone)
        if slot.at > now + timedelta(minutes=1):  # the time zone changed and moved it later
            await self._arm(guild_id, Plan(week, slot.at, slot.at + GRACE))
            return Due("wait", week)
        if now <= deadline:
            return Due("send", week)
        later = missed_weeks(shift_week(week, 1), now, settings.day, settings.hour, timezone)
        missed = (week, *later)
        await self.skip(guild_id, missed, "offline")
        await self.rearm(guild_id)
        return Due("skip", week, missed)

    async def skip(self, guild_id: int, weeks: tuple[str, ...], reason: str) -> None:
        """Record weeks whose digest will not go out (never sent late)."""
        now = iso(self._clock())
        async with self._db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO digest_run (guild_id, week, status, via, reason, claimed_at) "
                "VALUES (?, ?, 'skipped', 'schedule', ?, ?) ON CONFLICT DO NOTHING",
                [(guild_id, week, reason, now) for week in weeks],
            )

    async def retry_later(self, guild_id: int, week: str, deadline: datetime) -> bool:
        """The channel can't be posted in: try the week again in an hour if that is before its
        deadline (True), else record it skipped and arm the next week (False)."""
        again = self._clock() + RETRY_UNPOSTABLE
        if again <= deadline:
            await self._arm(guild_id, Plan(week, again, deadline))
            return True
        await self.skip(guild_id, (week,), "unpostable")
        await self.rearm(guild_id)
        return False

    async def this_week(self, guild_id: int) -> str:
        """The current week on the guild's calendar (what `/digest send` counts as)."""
        return week_of(self._clock(), await self._timezone(guild_id))

    # -- the ledger ----------------------------------------------------------------------------
    async def claim(self, guild_id: int, week: str, via: Via) -> Run | None:
        """Claim the week before posting: its window is fixed and the waiting spotlight goes
        with it. None when the week is already claimed, sent or skipped; `/digest send`
        (`via='manual'`) may still send a week the schedule skipped."""
        now = self._clock()
        async with self._db.transaction() as tx:
            row = await tx.fetch_one(
                "SELECT status FROM digest_run WHERE guild_id = ? AND week = ?", (guild_id, week)
            )
            if row is not None and not (via == "manual" and row["status"] == "skipped"):
                return None
            since = await self._window_start(tx, guild_id, now)
            await tx.execute(
                "INSERT INTO digest_run (guild_id, week, status, via, since, until, claimed_at) "
                "VALUES (?, ?, 'claimed', ?, ?, ?, ?) ON CONFLICT (guild_id, week) DO UPDATE "
                "SET status = 'claimed', via = excluded.via, reason = NULL, "
                "since = excluded.since, until = excluded.until, claimed_at = excluded.claimed_at",
                (guild_id, week, via, iso(since), iso(now), iso(now)),
            )
            await tx.execute(
                "UPDATE digest_spotlight SET week = ? WHERE guild_id = ? AND week IS NULL",
                (week, guild_id),
            )
            claimed = await _run(tx, guild_id, week)
        assert claimed is not None
        return claimed

    async def claimed(self, guild_id: int) -> list[Run]:
        """Weeks claimed and not (yet) recorded as posted, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM digest_run WHERE guild_id = ? AND status = 'claimed' ORDER BY week",
            (guild_id,),
        )
        return [run_of(row) for row in rows]

    async def release(self, guild_id: int, week: str) -> None:
        """Nothing was posted (Discord refused the channel): the claim is withdrawn, and the
        spotlight waits again (unless the team wrote a newer one meanwhile)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "DELETE FROM digest_run WHERE guild_id = ? AND week = ? AND status = 'claimed'",
                (guild_id, week),
            )
            await tx.execute(
                "UPDATE digest_spotlight SET week = NULL WHERE guild_id = ? AND week = ? "
                "AND NOT EXISTS (SELECT 1 FROM digest_spotlight w WHERE w.guild_id = ? "
                "AND w.week IS NULL)",
                (guild_id, week, guild_id),
            )

    async def mark_sent(
        self, guild_id: int, week: str, channel_id: int, message_id: int, *, dms: bool
    ) -> None:
        """The digest is out: recorded, the founders' report queued right after it and, when
        `dms`, the DM fan-out; the founders may be told about the channel again if it breaks."""
        now = self._clock()
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE digest_run SET status = 'sent', sent_at = ?, channel_id = ?, "
                "message_id = ? WHERE guild_id = ? AND week = ?",
                (iso(now), channel_id, message_id, guild_id, week),
            )
            await tx.execute(
                "UPDATE digest_settings SET unpostable_told_at = NULL WHERE guild_id = ?",
                (guild_id,),
            )
            await tx.execute(
                "DELETE FROM digest_dm WHERE guild_id = ? AND week < ?",
                (guild_id, shift_week(week, -DM_KEEP_WEEKS)),
            )
            key = f"{guild_id}:{week}"
            await self._jobs.schedule(REPORT_JOB, key, now, guild_id=guild_id)
            if dms:
                await self._jobs.schedule(DM_JOB, key, now, guild_id=guild_id)

    async def tell_unpostable_once(self, guild_id: int) -> bool:
        """True the first time since the last digest that went out (or settings change): the
        founders are told the channel can't be posted in once, until it is fixed."""
        async with self._db.transaction() as tx:
            return (
                await tx.execute_rowcount(
                    "UPDATE digest_settings SET unpostable_told_at = ? "
                    "WHERE guild_id = ? AND unpostable_told_at IS NULL",
                    (iso(self._clock()), guild_id),
                )
                > 0
            )

    async def run(self, guild_id: int, week: str) -> Run | None:
        """A week's ledger row."""
        return await _run(self._db, guild_id, week)

    async def runs(self, guild_id: int, limit: int = 10) -> list[Run]:
        """The latest ledger rows, newest week first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM digest_run WHERE guild_id = ? ORDER BY week DESC LIMIT ?",
            (guild_id, limit),
        )
        return [run_of(row) for row in rows]

    async def window_start(self, guild_id: int, until: datetime) -> datetime:
        """Where a digest cut at `until` would start (the last digest's end, within 14 days)."""
        return await self._window_start(self._db, guild_id, until)

    # -- helpers -------------------------------------------------------------------------------
    async def _timezone(self, guild_id: int) -> str:
        return (await self._config.get(guild_id)).timezone

    async def _done_through(self, settings: DigestSettings) -> str:
        """The last week settled: in the ledger, or before the schedule began."""
        last = await self._last_week(self._db, settings.guild_id)
        before_start = shift_week(settings.start_week, -1) if settings.start_week else None
        return max(week for week in (last, before_start, "0000-W00") if week is not None)

    @staticmethod
    async def _last_week(tx: Database | Transaction, guild_id: int) -> str | None:
        row = await tx.fetch_one("SELECT max(week) FROM digest_run WHERE guild_id = ?", (guild_id,))
        return str(row[0]) if row and row[0] else None

    @staticmethod
    async def _window_start(tx: Database | Transaction, guild_id: int, until: datetime) -> datetime:
        row = await tx.fetch_one(
            "SELECT max(until) FROM digest_run WHERE guild_id = ? AND status = 'sent' "
            "AND until <= ?",
            (guild_id, iso(until)),
        )
        last = when(row[0]) if row else None
        if last is not None and until - last <= MAX_WINDOW:
            return last
        return until - WINDOW


async def _run(tx: Database | Transaction, guild_id: int, week: str) -> Run | None:
    row = await tx.fetch_one(
        "SELECT * FROM digest_run WHERE guild_id = ? AND week = ?", (guild_id, week)
    )
    return run_of(row) if row else None
