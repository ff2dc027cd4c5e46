"""Referral program: personal store codes and referred orders."""

from bot.services.referrals.codes import ReferralCodes
from bot.services.referrals.orders import OrderLedger

__all__ = ["OrderLedger", "ReferralCodes"]
