"""A protocol-level Discord emulator (REST + gateway) for end-to-end tests of the real bot."""

from __future__ import annotations

from .actors import StandardGuild
from .recording import Fault, RecordedCall, UploadedFile
from .records import Ack, InteractionRecord
from .rules import DiscordError
from .server import Emulator
from .snowflake import Intents, P
from .state import (
    ANNOUNCEMENT,
    ANNOUNCEMENT_THREAD,
    CATEGORY,
    FORUM,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    STAGE,
    TEXT,
    VOICE,
    Attachment,
    Channel,
    Guild,
    Invite,
    Member,
    Message,
    Role,
    ScheduledEvent,
    ThreadInfo,
    User,
    VoiceState,
)

__all__ = [
    "ANNOUNCEMENT",
    "ANNOUNCEMENT_THREAD",
    "CATEGORY",
    "FORUM",
    "PRIVATE_THREAD",
    "PUBLIC_THREAD",
    "STAGE",
    "TEXT",
    "VOICE",
    "Ack",
    "Attachment",
    "Channel",
    "DiscordError",
    "Emulator",
    "Fault",
    "Guild",
    "Intents",
    "InteractionRecord",
    "Invite",
    "Member",
    "Message",
    "P",
    "RecordedCall",
    "Role",
    "ScheduledEvent",
    "StandardGuild",
    "ThreadInfo",
    "UploadedFile",
    "User",
    "VoiceState",
]
