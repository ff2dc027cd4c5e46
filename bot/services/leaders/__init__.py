"""Community leaders: engagement signals, suggestions, nominations with consent, circles."""

from bot.services.leaders.circles import CircleService
from bot.services.leaders.models import Circle, Leader, LeaderSettings, Nomination
from bot.services.leaders.roster import LeaderRoster
from bot.services.leaders.settings import LeaderSettingsService
from bot.services.leaders.signals import SIGNAL_KINDS, EngagementSignals, SignalKind

__all__ = [
    "SIGNAL_KINDS",
    "Circle",
    "CircleService",
    "EngagementSignals",
    "Leader",
    "LeaderRoster",
    "LeaderSettings",
    "LeaderSettingsService",
    "Nomination",
    "SignalKind",
]
