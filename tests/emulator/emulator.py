"""EmulatorCore: server lifecycle, recording, violations, faults, waiting helpers, reconnects."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable
from typing import Any, Literal

from aiohttp import web

from .gateway import Gateway
from .recording import Fault, RecordedCall, Waiters
from .snowflake import Intents
from .state import Channel, Message, State, User

JSON = dict[str, Any]


class EmulatorCore:
    """Shared state and plumbing of the fake Discord (see `Emulator` for the test API)."""

    def __init__(
        self, *, ack_deadline: float = 3.0, token_lifetime: float = 900.0, bot_name: str = "Vouch"
    ) -> None:
        self.state = State()
        self.ack_deadline = ack_deadline
        self.token_lifetime = token_lifetime
        self.app_owner: User = self.state.add_user("vouch_owner", global_name="Vouch Owner")
        self.bot_user: User = self.state.add_user(bot_name.lower(), bot=True, global_name=None)
        self.state.bot_user_id = self.bot_user.id
        self.application_id: int = self.bot_user.id
        self.application_name = bot_name
        # GATEWAY_GUILD_MEMBERS_LIMITED, GATEWAY_MESSAGE_CONTENT_LIMITED, COMMAND_BADGE
        self.application_flags = (1 << 15) | (1 << 19) | (1 << 23)
        self.token = f"{secrets.token_urlsafe(18)}.{secrets.token_urlsafe(4)}.emulator"
        self.expect_chunk_requests = True
        self.calls: list[RecordedCall] = []
        self.unhandled: list[RecordedCall] = []
        self.violations: list[str] = []
        self.expected_violations: list[str] = []
        self.expected_unhandled: list[str] = []
        self.faults: list[Fault] = []
        self.messages_log: list[Message] = []
        #: Every thread created (by the bot through REST, or by an actor), in order.
        self.threads_log: list[Channel] = []
        self.thread_waiters: Waiters[Channel] = Waiters()
        self.call_waiters: Waiters[RecordedCall] = Waiters()
        self.message_waiters: Waiters[Message] = Waiters()
        self.gateway = Gateway(self)
        self.ready_event = asyncio.Event()
        self.host = "127.0.0.1"
        self.port = 0
        self._runner: web.AppRunner | None = None

    # -- lifecycle --------------------------------------------------------------------------
    def _build_app(self) -> web.Application:
        raise NotImplementedError

    async def start(self) -> None:
        """Listen on 127.0.0.1 at a random port."""
        self._runner = web.AppRunner(self._build_app(), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.state.cdn_base = f"http://{self.host}:{self.port}/cdn"

    async def stop(self) -> None:
        """Close websockets and stop the server."""
        await self.gateway.close_all(1001)
        self._on_stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _on_stop(self) -> None:
        """Hook for mixins (cancel timers)."""

    async def __aenter__(self) -> EmulatorCore:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """Value for `discord.http.Route.BASE`."""
        return f"http://{self.host}:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        """Gateway websocket URL (what GET /gateway/bot returns)."""
        return f"ws://{self.host}:{self.port}/"

    # -- recording, faults, violations ------------------------------------------------------
    def calls_matching(self, method: str, path_regex: str) -> list[RecordedCall]:
        """Recorded calls with this method ('*' = any) whose path matches the regex."""
        return [c for c in self.calls if c.matches(method, path_regex)]

    def mark(self) -> int:
        """Current number of calls; pass as `after=` to wait only for later calls."""
        return len(self.calls)

    def inject_fault(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        code: int = 0,
        message: str | None = None,
        times: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
    ) -> Fault:
        """Make the next `times` matching requests fail (429s carry Via/Retry-After headers)."""
        fault = Fault(
            method.upper(), path_regex, status, code, message, times, retry_after, is_global
        )
        self.faults.append(fault)
        return fault

    def take_fault(self, call: RecordedCall) -> Fault | None:
        """Consume a fault matching `call`, if any."""
        for fault in self.faults:
            if fault.times != 0 and call.matches(fault.method, fault.path_regex):
                fault.times -= 1 if fault.times > 0 else 0
                fault.hits += 1
                return fault
        return None

    def violation(self, text: str) -> None:
        """Record a platform-rule violation."""
        self.violations.append(text)

    def expect_violation(self, pattern: str) -> None:
        """Declare that violations matching `pattern` (regex) are expected in this test."""
        self.expected_violations.append(pattern)

    def expect_unhandled(self, path_regex: str) -> None:
        """Declare that unhandled routes matching `path_regex` are expected."""
        self.expected_unhandled.append(path_regex)

    def unexpected_violations(self) -> list[str]:
        """Violations not covered by `expect_violation`."""
        return [
            v for v in self.violations if not any(re.search(p, v) for p in self.expected_violations)
        ]

    def unexpected_unhandled(self) -> list[RecordedCall]:
        """Unhandled routes not covered by `expect_unhandled`."""
        return [
            c
            for c in self.unhandled
            if not any(re.search(p, c.path) for p in self.expected_unhandled)
        ]

    # -- waiting ----------------------------------------------------------------------------
    async def wait_for_call(
        self, method: str, path_regex: str, timeout: float = 5.0, *, after: int = 0
    ) -> RecordedCall:
        """The first call (index >= `after`) matching; waits for it if not made yet."""
        for call in self.calls[after:]:
            if call.matches(method, path_regex) and call.status:
                return call
        fut = self.call_waiters.add(lambda c: c.index >= after and c.matches(method, path_regex))
        return await asyncio.wait_for(fut, timeout)

    async def wait_for_message(
        self,
        channel_id: int | None = None,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = 5.0,
        *,
        after: int = 0,
    ) -> Message:
        """First message (creation index >= `after`, or a later edit) in the channel matching."""

        def ok(m: Message) -> bool:
            return (channel_id is None or m.channel_id == channel_id) and (
                predicate is None or predicate(m)
            )

        for msg in self.messages_log[after:]:
            if ok(msg):
                return msg
        return await asyncio.wait_for(self.message_waiters.add(ok), timeout)

    async def wait_for_thread(
        self,
        parent_id: int | None = None,
        predicate: Callable[[Channel], bool] | None = None,
        timeout: float = 5.0,
        *,
        after: int = 0,
    ) -> Channel:
        """First thread (index in `threads_log` >= `after`) under `parent_id` matching."""

        def ok(t: Channel) -> bool:
            return (parent_id is None or t.parent_id == parent_id) and (
                predicate is None or predicate(t)
            )

        for thread in self.threads_log[after:]:
            if ok(thread):
                return thread
        return await asyncio.wait_for(self.thread_waiters.add(ok), timeout)

    def threads_in(self, parent_id: int) -> list[Channel]:
        """Live threads created under a channel, oldest first."""
        return [
            t for t in self.threads_log if t.parent_id == parent_id and t.id in self.state.channels
        ]

    def thread_messages(self, thread_id: int) -> list[Message]:
        """Live messages of a thread (a forum post's starter message first)."""
        return sorted(self.state.channel_messages(thread_id), key=lambda m: m.id)

    def dms_to(self, user_id: int) -> list[Message]:
        """Messages the bot sent in its DM channel with `user_id`."""
        cid = self.state.dm_channels.get(user_id)
        return [
            m
            for m in self.messages_log
            if m.channel_id == cid and m.author_id == self.bot_user.id and not m.deleted
        ]

    async def wait_bot_ready(self, timeout: float = 5.0) -> None:
        """READY + every GUILD_CREATE sent and every needed member chunk request answered."""
        await asyncio.wait_for(self.ready_event.wait(), timeout)

    # -- gateway ----------------------------------------------------------------------------
    async def dispatch(self, event: str, data: JSON) -> None:
        """Send a gateway DISPATCH to the bot (intent-filtered, logged for RESUME)."""
        await self.gateway.dispatch(event, data)

    def hold_events(self) -> None:
        """Log but don't deliver dispatches until the next RESUME (simulates a dead link)."""
        self.gateway.holding = True

    async def reconnect(
        self, mode: Literal["reconnect", "close", "invalidate"] = "reconnect", timeout: float = 10.0
    ) -> None:
        """Force the client off: op 7 / close 4000 → it RESUMEs; op 9 → fresh IDENTIFY.

        Returns once the client resumed (or re-identified and got its GUILD_CREATEs).
        discord.py waits 5 s before a non-initial IDENTIFY (`Client.before_identify_hook`).
        """
        if mode == "invalidate":
            waiter = self.gateway.wait_state("identified")
            for session in self.gateway.sessions.values():
                session.invalid = True
            self.ready_event.clear()
            self.gateway.holding = False
            await self.gateway.send_op(9, False)
        else:
            waiter = self.gateway.wait_state("resumed")
            if mode == "reconnect":
                await self.gateway.send_op(7, None)
            else:
                await self.gateway.close_all(4000)
        await asyncio.wait_for(waiter, timeout)
        if mode == "invalidate":
            await self.wait_bot_ready(timeout)

    @property
    def bot_intents(self) -> int:
        """Intents of the most recent session (0 before IDENTIFY)."""
        sessions = list(self.gateway.sessions.values())
        return sessions[-1].intents if sessions else 0

    def bot_has_intent(self, bit: int) -> bool:
        """Whether the identified bot asked for an intent (see snowflake.Intents)."""
        return bool(self.bot_intents & bit)


__all__ = ["EmulatorCore", "Intents"]
