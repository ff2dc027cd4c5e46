"""The domain. Nothing here imports discord: ids and values in, dataclasses out."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db import Database
from bot.services.attribution import InviteTracker
from bot.services.clock import Clock, utcnow
from bot.services.digest import DigestService
from bot.services.feedback.board import FeedbackBoard
from bot.services.feedback.polls import PollService
from bot.services.guild_config import GuildConfigService
from bot.services.health import HealthService
from bot.services.jobs import JobQueue
from bot.services.leaders import (
    CircleService,
    EngagementSignals,
    LeaderRoster,
    LeaderSettingsService,
)
from bot.services.leaders.duties import LeaderDuties
from bot.services.leaders.suggest import LeaderSuggestions
from bot.services.leaders.syncs import LeaderSyncs
from bot.services.membership import IntroductionService, MemberService, MembershipSettingsService
from bot.services.meta import MetaService
from bot.services.preferences import PreferenceService
from bot.services.privacy import PrivacyRegistry
from bot.services.referrals import (
    OrderLedger,
    ReferralCodes,
    ReferralInsight,
    ReferralLinks,
    Rewards,
)
from bot.services.referrals.shopify import ShopifyWebhooks
from bot.services.sessions.office_hours import OfficeHours
from bot.services.sessions.questions import QuestionService
from bot.services.sessions.schedule import SessionService


@dataclass(frozen=True)
class Services:
    """Every service, built once by the composition root and handed to the cogs."""

    db: Database
    config: GuildConfigService
    preferences: PreferenceService
    privacy: PrivacyRegistry
    meta: MetaService
    jobs: JobQueue
    membership: MembershipSettingsService
    introductions: IntroductionService
    members: MemberService
    invites: InviteTracker
    referral_codes: ReferralCodes
    orders: OrderLedger
    referral_links: ReferralLinks
    rewards: Rewards
    referral_insight: ReferralInsight
    shopify: ShopifyWebhooks
    sessions: SessionService
    questions: QuestionService
    office_hours: OfficeHours
    polls: PollService
    board: FeedbackBoard
    leader_settings: LeaderSettingsService
    leader_suggestions: LeaderSuggestions
    signals: EngagementSignals
    leaders: LeaderRoster
    circles: CircleService
    leader_duties: LeaderDuties
    leader_syncs: LeaderSyncs
    health: HealthService
    digest: DigestService
    clock: Clock

    @classmethod
    def build(cls, db: Database, clock: Clock = utcnow) -> Services:
        """Wire the services to one database and clock, and register their member data."""
        privacy = PrivacyRegistry(db, clock)
        preferences = PreferenceService(db, clock)
        privacy.register(preferences)
        jobs = JobQueue(db, clock)
        membership = MembershipSettingsService(db, clock)
        members = MemberService(db, membership, jobs, clock)
        privacy.register(members)
        referral_codes = ReferralCodes(db, clock)
        privacy.register(referral_codes)
        orders = OrderLedger(db, clock)
        referral_insight = ReferralInsight(db, clock)
        leader_settings = LeaderSettingsService(db, clock)
        # Engagement signals first: the features that report to it get it at construction.
        signals = EngagementSignals(db, clock)
        sessions = SessionService(db, jobs, clock, signals=signals)
        privacy.register(sessions)
        questions = QuestionService(db, clock)
        privacy.register(questions)
        office_hours = OfficeHours(db, jobs, clock)
        privacy.register(office_hours)
        polls = PollService(db, jobs, clock, signals=signals)
        privacy.register(polls)
        board = FeedbackBoard(db, clock, signals=signals)
        privacy.register(board)
        privacy.register(signals)
        leaders = LeaderRoster(db, jobs, clock)
        privacy.register(leaders)
        circles = CircleService(db, clock)
        privacy.register(circles)
        leader_duties = LeaderDuties(db, jobs, LeaderSettingsService(db, clock), clock)
        privacy.register(leader_duties)
        config = GuildConfigService(db, clock)
        digest = DigestService(db, jobs, config, preferences, polls, board, clock)
        privacy.register(digest)
        return cls(
            db=db,
            config=config,
            preferences=preferences,
            privacy=privacy,
            meta=MetaService(db),
            jobs=jobs,
            membership=membership,
            introductions=IntroductionService(db, membership, jobs, clock),
            members=members,
            invites=InviteTracker(db, clock),
            referral_codes=referral_codes,
            orders=orders,
            referral_links=ReferralLinks(db, clock),
            rewards=Rewards(db, jobs, clock),
            referral_insight=referral_insight,
            shopify=ShopifyWebhooks(db, orders, referral_codes, clock),
            sessions=sessions,
            questions=questions,
            office_hours=office_hours,
            polls=polls,
            board=board,
            leader_settings=leader_settings,
            leader_suggestions=LeaderSuggestions(
                db, leader_settings, referral_codes, referral_insight, clock
            ),
            signals=signals,
            leaders=leaders,
            circles=circles,
            leader_duties=leader_duties,
            leader_syncs=LeaderSyncs(db, sessions, jobs, clock),
            health=HealthService(db, jobs, clock),
            digest=digest,
            clock=clock,
        )
