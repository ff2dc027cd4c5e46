"""Voice states: humans joining, moving between and leaving voice and stage channels."""

from __future__ import annotations

import secrets
from typing import Any

from . import payloads
from .emulator import EmulatorCore
from .snowflake import P
from .state import STAGE, VOICE, Guild, VoiceState


async def dispatch_voice_state(
    emu: EmulatorCore, guild: Guild, vs: VoiceState, *, left: bool = False
) -> None:
    """VOICE_STATE_UPDATE (channel_id null when the user left)."""
    data = payloads.voice_state(emu.state, guild, vs)
    if left:
        data["channel_id"] = None
    await emu.dispatch("VOICE_STATE_UPDATE", data)


async def disconnect_voice(emu: EmulatorCore, guild: Guild, user_id: int) -> None:
    """Drop a user's voice state, if any, and announce it (leave, kick, channel deleted)."""
    vs = guild.voice_states.pop(user_id, None)
    if vs is not None:
        await dispatch_voice_state(emu, guild, vs, left=True)


class VoiceMixin(EmulatorCore):
    """Test-side voice actions (each sends VOICE_STATE_UPDATE, gated by GUILD_VOICE_STATES)."""

    async def join_voice(
        self,
        guild_id: int,
        user_id: int,
        channel_id: int,
        *,
        self_mute: bool = False,
        self_deaf: bool = False,
        self_video: bool = False,
        suppress: bool | None = None,
    ) -> VoiceState:
        """A member connects to (or moves to) a voice (2) or stage (13) channel.

        Moving keeps the session id. In a stage channel users join as audience
        (`suppress=True`) unless `suppress=False` is given (a speaker).
        Raises ValueError for other channel types, PermissionError without Connect or when
        the channel is full (user_limit), LookupError for non-members.
        """
        guild = self.state.guilds[guild_id]
        channel = self.state.channels.get(channel_id)
        if channel is None or channel.guild_id != guild_id:
            raise LookupError(f"channel {channel_id} is not in guild {guild_id}")
        if channel.type not in (VOICE, STAGE):
            raise ValueError(f"channel {channel.name!r} (type {channel.type}) is not voice/stage")
        if user_id not in guild.members:
            raise LookupError(f"user {user_id} is not a member of {guild_id}")
        perms = self.state.channel_permissions(channel, user_id)
        if not perms & P.VIEW_CHANNEL or not perms & P.CONNECT:
            raise PermissionError(f"user {user_id} cannot connect to {channel.name!r}")
        inside = [v for v in guild.voice_states.values() if v.channel_id == channel_id]
        if (
            channel.user_limit
            and len([v for v in inside if v.user_id != user_id]) >= channel.user_limit
            and not perms & P.MOVE_MEMBERS
        ):
            raise PermissionError(f"{channel.name!r} is full ({channel.user_limit} users)")
        old = guild.voice_states.get(user_id)
        vs = VoiceState(
            user_id,
            channel_id,
            old.session_id if old is not None else secrets.token_hex(16),
            deaf=old.deaf if old is not None else False,
            mute=old.mute if old is not None else False,
            self_deaf=self_deaf,
            self_mute=self_mute,
            self_video=self_video,
            suppress=(channel.type == STAGE) if suppress is None else suppress,
        )
        guild.voice_states[user_id] = vs
        await dispatch_voice_state(self, guild, vs)
        return vs

    async def leave_voice(self, guild_id: int, user_id: int) -> None:
        """A member disconnects: VOICE_STATE_UPDATE with channel_id null."""
        guild = self.state.guilds[guild_id]
        if user_id not in guild.voice_states:
            raise LookupError(f"user {user_id} is not in a voice channel of {guild_id}")
        await disconnect_voice(self, guild, user_id)

    async def update_voice_state(self, guild_id: int, user_id: int, **changes: Any) -> VoiceState:
        """Change flags of a connected user (self_mute=True, suppress=False, mute=True, ...)."""
        guild = self.state.guilds[guild_id]
        vs = guild.voice_states[user_id]
        for key, value in changes.items():
            if not hasattr(vs, key) or key in ("user_id", "channel_id", "session_id"):
                raise TypeError(f"cannot change voice state field {key!r}")
            setattr(vs, key, value)
        await dispatch_voice_state(self, guild, vs)
        return vs

    def voice_channel_of(self, guild_id: int, user_id: int) -> int | None:
        """The channel id a user is connected to (None: not connected)."""
        vs = self.state.guilds[guild_id].voice_states.get(user_id)
        return vs.channel_id if vs else None
