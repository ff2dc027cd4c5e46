"""Which invite a member joined through, told from the change in the guild's invite use counts.

Discord never says which invite a member used. The bot keeps a snapshot of the guild's invites
(table invite_snapshot), follows INVITE_CREATE / INVITE_DELETE, refreshes it on ready and after a
reconnect, and on each join compares a fresh fetch with the snapshot. Two joins inside one compare
window cannot be told apart: they are recorded as unknown, never guessed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.db import Database, Transaction
from bot.services.clock import Clock, iso, utcnow

# How long a vanished invite may still be claimed by a join. INVITE_DELETE and GUILD_MEMBER_ADD
# arrive in either order, and a refresh may already miss an invite whose join is still queued.
VANISHED_GRACE = timedelta(seconds=60)

AttributionKind = Literal["invite", "vanity", "unknown"]


@dataclass(frozen=True)
class InviteState:
    """One invite (or the vanity URL) as Discord lists it: its code and use counts."""

    code: str
    uses: int
    max_uses: int  # 0 = unlimited
    inviter_id: int | None = None
    expires_at: datetime | None = None
    is_vanity: bool = False


@dataclass(frozen=True)
class Attribution:
    """How a join came about; `reason` is a short machine-readable why."""

    kind: AttributionKind
    code: str | None
    inviter_id: int | None
    reason: str
    #: When ambiguous: every invite this join (or the joins it cannot be told apart from) may
    #: have used. Evidence, not part of the decision, so equality ignores it.
    candidates: tuple[str, ...] = field(default=(), compare=False)


def _last_use_taken(invite: InviteState, now: datetime) -> bool:
    """Whether an invite that vanished was plausibly used up by a join (not expired, one short)."""
    if invite.expires_at is not None and invite.expires_at <= now:
        return False
    return invite.max_uses > 0 and invite.uses == invite.max_uses - 1


def decide(
    before: Mapping[str, InviteState],
    after: Mapping[str, InviteState],
    vanished: Collection[str],
    *,
    now: datetime,
) -> Attribution:
    """The invite one join used, from the snapshot, a fresh fetch and the codes Discord deleted.

    `before`: the snapshot by code, vanished rows included; `after`: the fetch by code;
    `vanished`: codes INVITE_DELETE (or a refresh) reported gone, which count as absent from
    `after` even when a fetch made before the deletion still lists them.
    """
    candidates: list[tuple[InviteState, int, str]] = []
    for code, old in before.items():
        new = after.get(code)
        gone = new is None or code in vanished
        if new is not None and new.uses > old.uses:
            reason = "vanity_uses_increased" if new.is_vanity else "uses_increased"
            candidates.append((new, new.uses - old.uses, reason))
        elif gone and _last_use_taken(old, now):
            candidates.append((old, 1, "single_use_vanished"))
    # An invite the snapshot never held but that already has uses (its INVITE_CREATE not yet
    # applied, or a snapshot that is still empty): those uses may include this join's.
    unseen_uses = any(new.uses > 0 for code, new in after.items() if code not in before)
    if not candidates and not unseen_uses:
        return Attribution("unknown", None, None, "no_change")
    if len(candidates) != 1 or unseen_uses or candidates[0][1] != 1:
        codes = tuple(sorted(invite.code for invite, _, _ in candidates))
        return Attribution("unknown", None, None, "ambiguous", codes)
    invite, _, reason = candidates[0]
    kind: AttributionKind = "vanity" if invite.is_vanity else "invite"
    return Attribution(kind, invite.code, invite.inviter_id, reason)


@dataclass(frozen=True)
class _Entry:
    invite: InviteState
    vanished_at: datetime | None = None


class InviteTracker:
    """Keeps each guild's invite snapshot and attributes joins by comparing against it."""

    def __init__(self, db: Database, clock: Clock = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def refresh(self, guild_id: int, invites: Sequence[InviteState]) -> None:
        """Replace the guild's snapshot with what Discord lists now (on ready, after a reconnect).

        Invites missing from the list stay as vanished rows for VANISHED_GRACE, so a join racing
        the refresh can still claim them; older vanished rows are dropped.
        """
        now = self._clock()
        listed = {invite.code: invite for invite in invites}
        async with self._db.transaction() as tx:
            stored = await _load(tx, guild_id)
            current = _live(stored, now)
            entries: dict[str, _Entry] = {}
            for code, invite in listed.items():
                old = current.get(code)
                # Uses only grow: a list fetched before a join was compared must not rewind them,
                # and a deletion the gateway already reported cannot be undone by a stale list.
                entries[code] = _Entry(
                    _merge(old.invite if old else None, invite),
                    old.vanished_at if old else None,
                )
            for code, old in current.items():
                if code not in listed:
                    entries[code] = _Entry(old.invite, old.vanished_at or now)
            await _store(tx, guild_id, entries.values(), stored)

    async def created(self, guild_id: int, invite: InviteState) -> None:
        """Record an invite from INVITE_CREATE (or update it when already known)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO invite_snapshot "
                "(guild_id, code, uses, max_uses, inviter_id, expires_at, is_vanity) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, code) DO UPDATE SET "
                # A join compared before this event was applied may already have stored uses.
                "uses = max(uses, excluded.uses), max_uses = excluded.max_uses, "
                "inviter_id = excluded.inviter_id, expires_at = excluded.expires_at, "
                "is_vanity = excluded.is_vanity",
                _invite_params(guild_id, invite),
            )

    async def revoked(self, guild_id: int, code: str) -> None:
        """Forget an invite the bot deleted itself: unlike one Discord deleted after its last
        use, it took no join, so no join may claim it (even without INVITE_DELETE)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "DELETE FROM invite_snapshot WHERE guild_id = ? AND code = ?", (guild_id, code)
            )

    async def deleted(self, guild_id: int, code: str) -> None:
        """Mark an invite gone from INVITE_DELETE; a join may still claim it within the grace."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE invite_snapshot SET vanished_at = coalesce(vanished_at, ?) "
                "WHERE guild_id = ? AND code = ?",
                (iso(self._clock()), guild_id, code),
            )

    async def attribute_join(self, guild_id: int, invites: Sequence[InviteState]) -> Attribution:
        """Compare a fetch made after a join with the snapshot, decide, and store the fetch.

        One transaction, so joins processed back to back each compare against the state the
        previous one left. The caller fetches before calling (never await Discord inside), and
        fetches and calls for one guild in join order.
        """
        now = self._clock()
        after = {invite.code: invite for invite in invites}
        async with self._db.transaction() as tx:
            stored = await _load(tx, guild_id)
            current = _live(stored, now)
            before = {code: entry.invite for code, entry in current.items()}
            vanished = {code for code, entry in current.items() if entry.vanished_at is not None}
            result = decide(before, after, vanished, now=now)
            entries: dict[str, _Entry] = {}
            for code, invite in after.items():
                if code not in vanished:
                    old = current.get(code)
                    entries[code] = _Entry(_merge(old.invite if old else None, invite))
            for code, old in current.items():
                if code in entries or code == result.code:
                    continue  # listed, or gone and claimed by this join
                kept = old.invite
                if _last_use_taken(kept, now):
                    # This compare counted its last use (and could not tell whose it was); a
                    # later join must not claim it again, so record the invite as used up.
                    kept = replace(kept, uses=kept.max_uses)
                entries[code] = _Entry(kept, old.vanished_at or now)
            await _store(tx, guild_id, entries.values(), stored)
        return result

    async def snapshot(self, guild_id: int) -> list[InviteState]:
        """The invites the guild is believed to have now, by code (vanished ones left out)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM invite_snapshot WHERE guild_id = ? AND vanished_at IS NULL "
            "ORDER BY code",
            (guild_id,),
        )
        return [_entry(row).invite for row in rows]

    async def vanished(self, guild_id: int) -> list[str]:
        """Codes of vanished invites still kept for a late join to claim, sorted."""
        rows = await self._db.fetch_all(
            "SELECT code FROM invite_snapshot WHERE guild_id = ? AND vanished_at IS NOT NULL "
            "ORDER BY code",
            (guild_id,),
        )
        return [row["code"] for row in rows]

    async def forget_guild(self, guild_id: int) -> None:
        """Drop the guild's snapshot (the bot left the guild)."""
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM invite_snapshot WHERE guild_id = ?", (guild_id,))


def _merge(old: InviteState | None, new: InviteState) -> InviteState:
    if old is None or old.uses <= new.uses:
        return new
    return replace(new, uses=old.uses)


def _live(entries: dict[str, _Entry], now: datetime) -> dict[str, _Entry]:
    """The entries minus vanished rows past their grace."""
    return {
        code: entry
        for code, entry in entries.items()
        if entry.vanished_at is None or now - entry.vanished_at < VANISHED_GRACE
    }


async def _load(tx: Transaction, guild_id: int) -> dict[str, _Entry]:
    rows = await tx.fetch_all("SELECT * FROM invite_snapshot WHERE guild_id = ?", (guild_id,))
    return {row["code"]: _entry(row) for row in rows}


async def _store(
    tx: Transaction, guild_id: int, entries: Collection[_Entry], stored: Mapping[str, _Entry]
) -> None:
    """Make the snapshot equal `entries`, writing only the rows that changed: a join then costs
    the same in a guild with five invites as in one with five hundred."""
    wanted = {entry.invite.code: entry for entry in entries}
    gone = [(guild_id, code) for code in stored if code not in wanted]
    changed = [_params(guild_id, e) for code, e in wanted.items() if stored.get(code) != e]
    if gone:
        await tx.executemany("DELETE FROM invite_snapshot WHERE guild_id = ? AND code = ?", gone)
    if changed:
        await tx.executemany(
            "INSERT OR REPLACE INTO invite_snapshot "
            "(guild_id, code, uses, max_uses, inviter_id, expires_at, is_vanity, vanished_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            changed,
        )


def _invite_params(guild_id: int, invite: InviteState) -> tuple[Any, ...]:
    return (
        guild_id,
        invite.code,
        invite.uses,
        invite.max_uses,
        invite.inviter_id,
        iso(invite.expires_at) if invite.expires_at else None,
        int(invite.is_vanity),
    )


def _params(guild_id: int, entry: _Entry) -> tuple[Any, ...]:
    vanished_at = iso(entry.vanished_at) if entry.vanished_at else None
    return (*_invite_params(guild_id, entry.invite), vanished_at)


def _entry(row: Any) -> _Entry:
    return _Entry(
        InviteState(
            code=row["code"],
            uses=row["uses"],
            max_uses=row["max_uses"],
            inviter_id=row["inviter_id"],
            expires_at=datetime.fromisoformat(row["expires_at"]) if row["expires_at"] else None,
            is_vanity=bool(row["is_vanity"]),
        ),
        datetime.fromisoformat(row["vanished_at"]) if row["vanished_at"] else None,
    )
