"""The assembled `Emulator`: REST routes + gateway + interactions + human actions."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .actors import ActorsMixin
from .commands import CommandRoutes
from .interactions import InteractionsMixin
from .rest_app import build_app
from .routes_core import CoreRoutes
from .routes_guild import GuildRoutes
from .routes_interactions import InteractionRoutes
from .routes_invites_events import EventRoutes, InviteRoutes
from .routes_messages import MessageRoutes
from .threads import ThreadRoutes
from .voice import VoiceMixin


class Emulator(InteractionsMixin, ActorsMixin, VoiceMixin):
    """A fake Discord on 127.0.0.1 that the unmodified discord.py client talks to.

    Usage: ``async with Emulator() as emu: ...`` or the ``emulator`` pytest fixture.
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.commands = CommandRoutes(self)

    def _build_app(self) -> web.Application:
        groups = [
            CoreRoutes(self),
            self.commands,
            GuildRoutes(self),
            MessageRoutes(self),
            InteractionRoutes(self),
            InviteRoutes(self),
            EventRoutes(self),
            ThreadRoutes(self),
        ]
        return build_app(self, groups, self.gateway.handle)

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    def synced_commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """Commands currently stored for a guild (None: global), as Discord returns them."""
        return list(self.commands.stored.get(guild_id, {}).values())

    def last_sync(self, guild_id: int | None = None) -> list[dict[str, Any]] | None:
        """Response of the most recent bulk overwrite (PUT) for that scope."""
        return self.commands.last_sync.get(guild_id)

    def command_creates(self, guild_id: int | None = None) -> int:
        """How many commands were newly created in that scope (the 200/day rule)."""
        return self.commands.creates.get(guild_id, 0)
