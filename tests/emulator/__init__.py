"""A protocol-level Discord emulator (REST + gateway) for end-to-end tests of the real bot."""

from __future__ import annotations

from .actors import StandardGuild
from .recording import Fault, RecordedCall, UploadedFile
from .records import Ack, InteractionRecord
from .rules import DiscordError
from .server import Emulator
from .snowflake import Intents, P
from .state import Attachment, Channel, Guild, Invite, Member, Message, Role, ScheduledEvent, User

__all__ = [
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
    "UploadedFile",
    "User",
]
