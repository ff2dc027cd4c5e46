"""Membership by introduction: settings, introductions and seats, and each person's stints."""

from bot.services.membership.introductions import IntroductionService
from bot.services.membership.members import MemberService
from bot.services.membership.settings import MembershipSettingsService

__all__ = ["IntroductionService", "MemberService", "MembershipSettingsService"]
