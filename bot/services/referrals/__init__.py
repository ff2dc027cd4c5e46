"""Referral program: personal links and store codes, referred orders, rewards and insight."""

from bot.services.referrals.codes import ReferralCodes
from bot.services.referrals.insight import ReferralInsight
from bot.services.referrals.links import ReferralLinks
from bot.services.referrals.orders import OrderLedger
from bot.services.referrals.rewards import Rewards

__all__ = ["OrderLedger", "ReferralCodes", "ReferralInsight", "ReferralLinks", "Rewards"]
