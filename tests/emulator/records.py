"""InteractionRecord: what the bot did with one injected interaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .state import Message

JSON = dict[str, Any]


@dataclass(slots=True)
class Ack:
    """The interaction callback the bot sent (type 4, 5, 6, 7, 9, ...)."""

    type: int
    data: JSON | None

    @property
    def ephemeral(self) -> bool:
        """Whether the callback asked for flag 64."""
        return bool(int((self.data or {}).get("flags") or 0) & 64)


class InteractionRecord:
    """One interaction sent to the bot and everything the bot answered to it."""

    def __init__(self, payload: JSON, created_at: float, source_message_id: int | None) -> None:
        self.payload = payload
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.type: int = payload["type"]
        self.guild_id = int(payload["guild_id"]) if "guild_id" in payload else None
        self.channel_id = int(payload["channel_id"])
        user = payload["member"]["user"] if "member" in payload else payload["user"]
        self.user_id = int(user["id"])
        self.created_at = created_at
        self.source_message_id = source_message_id
        self.ack: Ack | None = None
        self.acking = False
        self.response: Message | None = None
        self.followups: list[Message] = []
        self.modal: JSON | None = None
        self.expired = False
        self.failed = False
        self.timer: asyncio.TimerHandle | None = None
        self._changed = asyncio.Event()

    def __repr__(self) -> str:
        return f"<InteractionRecord id={self.id} type={self.type} ack={self.ack}>"

    def touch(self) -> None:
        """Wake everything waiting on this record."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(f"{self!r}: timed out after {timeout}s waiting for {what}") from None

    async def wait_ack(self, timeout: float = 5.0) -> Ack:
        """The callback (type + data), once the bot acknowledged."""
        await self._wait_until(lambda: self.ack is not None or self.failed, timeout, "ack")
        if self.ack is None:
            raise AssertionError(f"{self!r} was never acknowledged (This interaction failed)")
        return self.ack

    async def wait_response(self, timeout: float = 5.0) -> Message:
        """The response message once it is no longer a 'thinking…' placeholder."""
        await self._wait_until(
            lambda: self.response is not None and not self.response.flags & 128,
            timeout,
            "a non-loading response message",
        )
        assert self.response is not None
        return self.response

    async def wait_followup(self, n: int = 1, timeout: float = 5.0) -> Message:
        """The n-th followup (1-based)."""
        await self._wait_until(lambda: len(self.followups) >= n, timeout, f"followup #{n}")
        return self.followups[n - 1]

    async def wait_done(
        self, predicate: Callable[[InteractionRecord], bool], timeout: float = 5.0
    ) -> None:
        """Wait until `predicate(record)` holds (re-checked on every change)."""
        await self._wait_until(lambda: predicate(self), timeout, "predicate")

    @property
    def is_ephemeral(self) -> bool:
        """Whether the response (or the ack) is ephemeral."""
        if self.response is not None:
            return self.response.ephemeral
        return self.ack.ephemeral if self.ack else False

    @property
    def messages(self) -> list[Message]:
        """Response then followups, without duplicates."""
        seen: set[int] = set()
        result = []
        for msg in ([self.response] if self.response else []) + self.followups:
            if msg.id not in seen:
                seen.add(msg.id)
                result.append(msg)
        return result

    def text(self) -> str:
        """All content and embed text of the response and followups."""
        return "\n".join(m.text() for m in self.messages if not m.deleted)

    def age(self, seconds: float) -> None:
        """Pretend the interaction is `seconds` older (e.g. 901 to expire the 15 min token)."""
        self.created_at -= seconds
