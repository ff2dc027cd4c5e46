"""Gateway websocket: HELLO, IDENTIFY/READY, GUILD_CREATE, chunking, RESUME and dispatch."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import secrets
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import payloads
from .snowflake import Intents, P

if TYPE_CHECKING:
    from .emulator import EmulatorCore as Emulator

JSON = dict[str, Any]
EVENT_INTENTS = {
    "GUILD_MEMBER_ADD": Intents.GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": Intents.GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": Intents.GUILD_MEMBERS,
    "INVITE_CREATE": Intents.GUILD_INVITES,
    "INVITE_DELETE": Intents.GUILD_INVITES,
    "GUILD_SCHEDULED_EVENT_USER_ADD": Intents.GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_USER_REMOVE": Intents.GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_CREATE": Intents.GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_UPDATE": Intents.GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_DELETE": Intents.GUILD_SCHEDULED_EVENTS,
    "VOICE_STATE_UPDATE": Intents.GUILD_VOICE_STATES,
    "THREAD_CREATE": Intents.GUILDS,
    "THREAD_UPDATE": Intents.GUILDS,
    "THREAD_DELETE": Intents.GUILDS,
    "THREAD_LIST_SYNC": Intents.GUILDS,
    "THREAD_MEMBER_UPDATE": Intents.GUILDS,
    "THREAD_MEMBERS_UPDATE": Intents.GUILDS,
}
CHUNK_SIZE = 1000


class Connection:
    """One websocket connection with its own zlib (or zstd) stream compressor."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.compress = compress
        self._lock = asyncio.Lock()
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._zstd: Any = None
        if compress == "zstd-stream":
            import zstandard

            self._zstd = zstandard.ZstdCompressor().compressobj()
        self.session: Session | None = None

    async def send(self, frame: JSON) -> None:
        """Serialise, compress (Z_SYNC_FLUSH per message) and send one frame."""
        raw = json.dumps(frame, separators=(",", ":")).encode()
        async with self._lock:
            if self.ws.closed:
                return
            if self._zlib is not None:
                await self.ws.send_bytes(
                    self._zlib.compress(raw) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                )
            elif self._zstd is not None:
                import zstandard

                data = self._zstd.compress(raw) + self._zstd.flush(
                    zstandard.COMPRESSOBJ_FLUSH_BLOCK
                )
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(raw.decode())


@dataclass
class Session:
    """A gateway session (survives reconnects; RESUME replays its log)."""

    session_id: str
    intents: int
    large_threshold: int
    seq: int = 0
    log: collections.deque[JSON] = field(default_factory=lambda: collections.deque(maxlen=20000))
    conn: Connection | None = None
    invalid: bool = False
    pending_chunks: set[int] = field(default_factory=set)
    creates_sent: bool = False


class Gateway:
    """Serves the gateway websocket and dispatches events to live sessions."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.holding = False
        self.identify_count = 0
        self.resume_count = 0
        self.compressions: list[str | None] = []
        self._state_waiters: list[tuple[str, asyncio.Future[None]]] = []

    # -- dispatch ---------------------------------------------------------------------------
    async def dispatch(self, event: str, data: JSON, *, guild_id: int | None = None) -> None:
        """Send a DISPATCH to every valid session (filtered by intents), logging it for RESUME."""
        need = EVENT_INTENTS.get(event)
        for session in list(self.sessions.values()):
            if session.invalid or (need is not None and not session.intents & need):
                continue
            filtered = self._filter_content(session, event, data)
            if filtered is not None:
                await self._send_dispatch(session, event, filtered)

    def _filter_content(self, session: Session, event: str, data: JSON) -> JSON | None:
        """Intent- and permission-dependent parts: invite events need Manage Channels in the
        invite's channel; without MESSAGE_CONTENT, other users' guild messages arrive
        with empty content; without GUILD_VOICE_STATES, GUILD_CREATE has no voice states;
        without GUILD_MEMBERS, THREAD_MEMBERS_UPDATE comes only when the bot itself is added
        or removed (None: not sent)."""
        if event in ("INVITE_CREATE", "INVITE_DELETE") and not self._manages(data):
            return None
        if event == "GUILD_CREATE" and not session.intents & Intents.GUILD_VOICE_STATES:
            return {**data, "voice_states": []}
        if event == "THREAD_MEMBERS_UPDATE" and not session.intents & Intents.GUILD_MEMBERS:
            me = str(self.emu.bot_user.id)
            added = [m.get("user_id") for m in data.get("added_members", [])]
            if me not in added and me not in data.get("removed_member_ids", []):
                return None
            return data
        if (
            event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE")
            or session.intents & Intents.MESSAGE_CONTENT
        ):
            return data
        author = (data.get("author") or {}).get("id")
        if "guild_id" not in data or author == str(self.emu.bot_user.id):
            return data
        return {**data, "content": "", "embeds": [], "attachments": [], "components": []}

    def _manages(self, data: JSON) -> bool:
        """Invite events are sent only to a bot that can manage the invite's channel."""
        channel = self.emu.state.channels.get(int(data["channel_id"]))
        if channel is None:
            return False
        return bool(
            self.emu.state.channel_permissions(channel, self.emu.bot_user.id) & P.MANAGE_CHANNELS
        )

    async def _send_dispatch(self, session: Session, event: str, data: JSON) -> None:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.log.append(frame)
        if session.conn is not None and not self.holding:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await session.conn.send(frame)

    # -- websocket handler ------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """aiohttp handler for GET / (the websocket)."""
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws, request.query.get("compress"))
        self.compressions.append(conn.compress)
        self.connections.add(conn)
        try:
            await conn.send(
                {
                    "op": 10,
                    "s": None,
                    "t": None,
                    "d": {"heartbeat_interval": 41250, "_trace": ['["emulator"]']},
                }
            )
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_frame(conn, json.loads(msg.data))
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            self.connections.discard(conn)
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
        return ws

    async def _on_frame(self, conn: Connection, frame: JSON) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == 1:
            await conn.send({"op": 11, "s": None, "t": None, "d": None})
        elif op == 2:
            await self._identify(conn, data or {})
        elif op == 6:
            await self._resume(conn, data or {})
        elif op == 8:
            await self._request_members(conn, data or {})

    async def _identify(self, conn: Connection, data: JSON) -> None:
        if data.get("token") != self.emu.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        self.identify_count += 1
        emu = self.emu
        session = Session(
            secrets.token_hex(16), int(data.get("intents", 0)), int(data.get("large_threshold", 50))
        )
        self.sessions[session.session_id] = session
        conn.session, session.conn = session, conn
        guilds = [g for g in emu.state.guilds.values() if emu.bot_user.id in g.members]
        me = payloads.user(emu.bot_user)
        me.update(verified=True, mfa_enabled=False, email=None)
        ready: JSON = {
            "v": 10,
            "user_settings": {},
            "user": me,
            "session_type": "normal",
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "resume_gateway_url": emu.gateway_url,
            "relationships": [],
            "private_channels": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["rotterdam"],
            "auth": {},
            "application": {"id": str(emu.application_id), "flags": emu.application_flags},
            "_trace": ['["emulator"]'],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        await self._send_dispatch(session, "READY", ready)
        for g in guilds:
            all_members = (
                session.intents & Intents.GUILD_MEMBERS
                and len(g.members) <= session.large_threshold
            )
            if not all_members and len(g.members) > 1:
                session.pending_chunks.add(g.id)
            create = payloads.guild_create(
                emu.state, g, emu.bot_user.id, all_members=bool(all_members)
            )
            await self._send_dispatch(
                session, "GUILD_CREATE", self._filter_content(session, "GUILD_CREATE", create) or {}
            )
        session.creates_sent = True
        if not session.intents & Intents.GUILD_MEMBERS or not emu.expect_chunk_requests:
            session.pending_chunks.clear()
        self._notify("identified")
        self._check_ready(session)

    def _check_ready(self, session: Session) -> None:
        if session.creates_sent and not session.pending_chunks:
            self.emu.ready_event.set()

    async def _resume(self, conn: Connection, data: JSON) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        seq = int(data.get("seq") or 0)
        oldest = session.log[0]["s"] if session and session.log else 1
        if (
            session is None
            or session.invalid
            or data.get("token") != self.emu.token
            or seq + 1 < oldest
        ):
            await conn.send({"op": 9, "s": None, "t": None, "d": False})
            return
        self.resume_count += 1
        conn.session, session.conn = session, conn
        self.holding = False
        for frame in list(session.log):
            if frame["s"] > seq:
                await conn.send(frame)
        await self._send_dispatch(session, "RESUMED", {"_trace": ['["emulator"]']})
        self._notify("resumed")

    async def _request_members(self, conn: Connection, data: JSON) -> None:
        guild = self.emu.state.guilds.get(int(data["guild_id"]))
        session = conn.session
        if guild is None or session is None:
            return
        user_ids = data.get("user_ids")
        query, limit = data.get("query") or "", int(data.get("limit") or 0)
        not_found: list[str] = []
        if user_ids is not None:
            ids = [int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])]
            members = [guild.members[u] for u in ids if u in guild.members]
            not_found = [str(u) for u in ids if u not in guild.members]
        else:
            members = list(guild.members.values())
            if query:
                q = query.lower()
                members = [
                    m
                    for m in members
                    if self.emu.state.users[m.user_id].username.lower().startswith(q)
                    or (m.nick or "").lower().startswith(q)
                ]
            if limit:
                members = members[:limit]
        count = max(1, -(-len(members) // CHUNK_SIZE))
        for index in range(count):
            chunk = members[index * CHUNK_SIZE : (index + 1) * CHUNK_SIZE]
            payload: JSON = {
                "guild_id": str(guild.id),
                "chunk_index": index,
                "chunk_count": count,
                "members": [payloads.member(self.emu.state, m) for m in chunk],
            }
            if data.get("nonce") is not None:
                payload["nonce"] = data["nonce"]
            if not_found and index == 0:
                payload["not_found"] = not_found
            await self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", payload)
        session.pending_chunks.discard(guild.id)
        self._check_ready(session)

    # -- control ----------------------------------------------------------------------------
    def _notify(self, state: str) -> None:
        for name, fut in list(self._state_waiters):
            if name == state and not fut.done():
                fut.set_result(None)
        self._state_waiters = [(n, f) for n, f in self._state_waiters if not f.done()]

    def wait_state(self, state: str) -> asyncio.Future[None]:
        """Future resolved at the next 'identified' or 'resumed'."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._state_waiters.append((state, fut))
        return fut

    async def send_op(self, op: int, data: Any) -> None:
        """Send a raw opcode to every live connection."""
        for conn in list(self.connections):
            await conn.send({"op": op, "s": None, "t": None, "d": data})

    async def close_all(self, code: int = 1000) -> None:
        """Close every websocket (used on shutdown and to force a resume)."""
        for conn in list(self.connections):
            await conn.ws.close(code=code, message=b"emulator")
