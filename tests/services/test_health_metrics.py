"""Community health on real SQLite: a scripted 12-week community history (joins by every source,
leaves, early churn, engagement, NPS answers overall and per product, orders in two currencies
with a refund, leaders and check-ins), every figure checked against arithmetic done by hand in
the comments; daily snapshots taken once, caught up after downtime, and kept after a forget.

Weeks: W11 = [Mon 19 Oct, Mon 26 Oct), W12 = [26 Oct, 2 Nov) 2026; "now" is Mon 2 Nov 00:00 UTC.
The end-to-end tests (tests/e2e/test_health.py) replay the same history through the bot.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.db import Database
from bot.services import Services
from bot.services.clock import iso
from bot.services.health import SNAPSHOT_JOB, HealthService, alerts
from bot.services.health.models import NpsScore
from tests.conftest import FakeClock

G, OTHER = 1, 2
NOW = datetime(2026, 11, 2, tzinfo=UTC)
BASE = 10**15  # member ids far from any count, so "no member id stored" can be checked


def U(n: int) -> int:
    """Member n's id."""
    return BASE + n


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 2)


class History:
    """Writes a guild's rows the way the features' services write them."""

    def __init__(self, db: Database, guild: int) -> None:
        self.db = db
        self.guild = guild

    async def execute(self, sql: str, *params: object) -> int:
        async with self.db.transaction() as tx:
            return await tx.execute(sql, params)

    async def stint(
        self,
        n: int,
        source: str,
        joined: datetime,
        admitted: datetime | None = None,
        left: datetime | None = None,
        *,
        intro: int | None = None,
        submitted: datetime | None = None,
        status: str | None = None,
        rejoin: bool = False,
    ) -> None:
        """A member_stint row as MemberService writes it."""
        if status is None:
            status = "left" if left else "member" if admitted else "pending"
        await self.execute(
            "INSERT INTO member_stint (guild_id, user_id, status, source, introduction_id, "
            "rejoin, joined_at, admitted_at, left_at, end_reason, submitted_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.guild,
            U(n),
            status,
            source,
            intro,
            int(rejoin),
            iso(joined),
            iso(admitted) if admitted else None,
            iso(left) if left else None,
            ("refused" if status == "refused" else "left") if left else None,
            iso(submitted) if submitted else None,
        )

    async def introduction(
        self, number: int, created: datetime, status: str, newcomer: int | None = None
    ) -> int:
        return await self.execute(
            "INSERT INTO introduction (guild_id, sponsor_id, newcomer_name, why, status, "
            "created_at, newcomer_id) VALUES (?, ?, ?, 'Y', ?, ?, ?)",
            self.guild,
            U(1),
            f"Newcomer {number}",
            status,
            iso(created),
            U(newcomer) if newcomer else None,
        )

    async def signal(self, n: int, day: date, kind: str, count: int = 1, ch: int = 0) -> None:
        await self.execute(
            "INSERT INTO engagement_daily (guild_id, user_id, day, kind, channel_id, count) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            self.guild,
            U(n),
            day.isoformat(),
            kind,
            ch,
            count,
        )

    async def nps_poll(self, created: datetime, product: str | None = None) -> int:
        """An NPS question as PollService.create_nps stores it."""
        poll_id = await self.execute(
            "INSERT INTO poll (guild_id, kind, question, product, author_id, created_at) "
            "VALUES (?, 'nps', 'Would you recommend us?', ?, ?, ?)",
            self.guild,
            product,
            U(1),
            iso(created),
        )
        for score in range(11):
            await self.execute(
                "INSERT INTO poll_option (poll_id, position, label) VALUES (?, ?, ?)",
                poll_id,
                score,
                str(score),
            )
        return poll_id

    async def nps_votes(self, poll_id: int, votes: list[tuple[int, int, datetime]]) -> None:
        """Answers as PollService.vote stores them (voter: the member id as text; position: the
        score). Written directly so that the engagement signals a vote also records (a feature
        of its own) stay exactly the ones the script lists."""
        for member, score, when in votes:
            await self.execute(
                "INSERT INTO poll_vote (poll_id, voter, position, voted_at) VALUES (?, ?, ?, ?)",
                poll_id,
                str(U(member)),
                score,
                iso(when),
            )

    async def order(
        self,
        oid: str,
        referrer: int,
        amount: int,
        currency: str,
        when: datetime,
        status: str = "paid",
        *,
        own: bool = False,
    ) -> None:
        await self.execute(
            "INSERT INTO referral_order (guild_id, order_id, code, referrer_id, amount_minor, "
            "currency, ordered_at, status, self_referral, source, import_id, imported_at, "
            "updated_at) VALUES (?, ?, 'CODE', ?, ?, ?, ?, ?, ?, 'csv', 'i', ?, ?)",
            self.guild,
            oid,
            U(referrer),
            amount,
            currency,
            iso(when),
            status,
            int(own),
            iso(when),
            iso(when),
        )


async def script(db: Database, guild: int = G) -> None:
    """Twelve weeks of a small community (see the module docstring for the weeks)."""
    h = History(db, guild)
    # Vouch set up on 10 Aug: ten members recorded as already there (1..10).
    for n in range(1, 11):
        left = at(10, 27) if n == 10 else None  # member 10 leaves in W12 (not early: existing)
        await h.stint(n, "existing", at(8, 10, 10), at(8, 10, 10), left)
    # Introductions (sponsor 1): A..G used, H and K expired, I still open, J cancelled.
    intro = {}
    for name, created, status, newcomer in (
        ("A", at(8, 18), "used", 11),
        ("B", at(9, 13), "used", 16),
        ("C", at(9, 19), "used", 17),
        ("D", at(9, 20), "used", 19),
        ("E", at(9, 25), "used", 20),
        ("F", at(10, 19), "used", 22),  # W11
        ("K", at(10, 20), "expired", None),  # W11
        ("G", at(10, 26), "used", 24),  # W12
        ("H", at(10, 27), "expired", None),  # W12
        ("I", at(10, 30), "open", None),  # W12
        ("J", at(10, 31), "cancelled", None),  # W12, never counted
    ):
        intro[name] = await h.introduction(len(intro), created, status, newcomer)
    # Joins before W11.
    await h.stint(11, "introduction", at(8, 20, 9), at(8, 20, 10), intro=intro["A"])
    await h.stint(12, "referral", at(8, 25), at(8, 25))
    await h.stint(13, "vanity", at(9, 1), at(9, 1))
    await h.stint(14, "invite", at(9, 5), at(9, 5), at(10, 12, 10))  # 37 days: not early
    await h.stint(15, "unknown", at(9, 10), at(9, 10))
    await h.stint(16, "introduction", at(9, 15), at(9, 15), intro=intro["B"])
    await h.stint(17, "introduction", at(9, 21), at(9, 21), at(10, 1), intro=intro["C"])  # early
    await h.stint(18, "referral", at(9, 28), at(9, 28))
    await h.stint(19, "introduction", at(9, 22, 9), at(9, 22, 10), intro=intro["D"])
    await h.stint(20, "introduction", at(9, 27), at(9, 28, 10), at(10, 20, 10), intro=intro["E"])
    # W11: 21 and 22 admitted; 20 leaves (22 days after admission: early).
    await h.stint(21, "vanity", at(10, 20), at(10, 20))
    await h.stint(22, "introduction", at(10, 21), at(10, 21), at(10, 28), intro=intro["F"])
    await h.stint(31, "vanity", at(10, 22), None, at(10, 22), status="refused")
    # W12: six admitted (17 again, through a link), 28 given the role by hand, 10, 22, 27 leave.
    await h.stint(23, "referral", at(10, 27), at(10, 27))
    await h.stint(24, "introduction", at(10, 28), at(10, 28), intro=intro["G"])
    await h.stint(25, "unknown", at(10, 29), at(10, 29))
    await h.stint(26, "invite", at(10, 30), at(10, 30))
    await h.stint(27, "vanity", at(10, 31), at(10, 31), at(11, 1))  # 1 day: early
    await h.stint(17, "referral", at(10, 31, 13), at(10, 31, 14), rejoin=True)
    await h.stint(28, "existing", at(10, 30, 15), at(10, 30, 15))
    await h.stint(32, "invite", at(10, 27, 10), None, at(10, 27, 11))  # left from the gate
    # In the gate at the end: 29 answered on 29 Oct and waits for a moderator; 30 just came.
    await h.stint(29, "unknown", at(10, 29, 8), submitted=at(10, 29, 9))
    await h.stint(30, "vanity", at(11, 1, 18))

    # Engagement: recorded since 12 Aug.
    await h.signal(1, date(2026, 8, 12), "message")
    d = date(2026, 10, 19)  # W11's first day
    await h.signal(1, d + timedelta(1), "message")
    await h.signal(20, d, "message")  # left before the week's end: not counted
    await h.signal(21, d + timedelta(3), "vote")
    await h.signal(21, d + timedelta(4), "message")
    await h.signal(5, d + timedelta(6), "message")
    await h.signal(22, d + timedelta(5), "rsvp_kept")
    d = date(2026, 10, 26)  # W12's first day
    await h.signal(1, d + timedelta(1), "message", 3)
    await h.signal(1, d + timedelta(2), "vote")
    await h.signal(2, d, "message", ch=7)
    await h.signal(2, d + timedelta(4), "message", ch=8)
    await h.signal(3, d + timedelta(3), "rsvp_kept")
    await h.signal(3, d + timedelta(3), "attendance_minutes", 45)  # same kind as the RSVP
    await h.signal(11, d + timedelta(5), "feedback_item")
    await h.signal(11, d + timedelta(6), "feedback_upvote")
    await h.signal(23, d + timedelta(2), "message")
    await h.signal(23, d + timedelta(4), "introduction_stayed")
    await h.signal(10, d, "message")  # left on 27 Oct
    await h.signal(29, d + timedelta(4), "message")  # still in the gate
    await h.signal(4, d + timedelta(1), "message", 0)  # a zero count is no signal
    await h.signal(4, d + timedelta(2), "feedback_upvote")  # credit for others' acts: not active
    await h.signal(5, d + timedelta(7), "message")  # 2 Nov: after the period

    # NPS: a general question (15 Aug), one on Boots and one on Bags (1 Oct).
    general = await h.nps_poll(at(8, 15))
    boots = await h.nps_poll(at(10, 1), "Boots")
    bags = await h.nps_poll(at(10, 1), "Bags")
    await h.nps_votes(general, [(10, 0, at(10, 15))])  # W10: outside both weeks
    await h.nps_votes(
        general, [(1, 10, at(10, 20)), (2, 9, at(10, 21)), (3, 9, at(10, 22)), (5, 8, at(10, 23))]
    )
    await h.nps_votes(boots, [(11, 10, at(10, 20)), (12, 7, at(10, 24))])
    await h.nps_votes(
        general, [(6, 3, at(10, 28)), (7, 6, at(10, 28)), (8, 9, at(10, 29)), (9, 10, at(11, 1))]
    )
    await h.nps_votes(boots, [(13, 2, at(10, 27)), (15, 10, at(10, 30)), (16, 9, at(10, 31))])
    await h.nps_votes(bags, [(18, 8, at(10, 29))])

    # Referral program: a code made on 20 Aug. 11, 12 and 14 opted in to being named; 16 only
    # turned milestone announcements off (never opted in).
    await h.execute(
        "INSERT INTO referral_code (guild_id, user_id, code, created_at) VALUES (?, ?, ?, ?)",
        guild,
        U(11),
        "MAYA-1",
        iso(at(8, 20)),
    )
    await h.execute(
        "INSERT INTO referral_member (guild_id, user_id, announce, updated_at) VALUES (?, ?, 0, ?)",
        guild,
        U(16),
        iso(at(9, 1)),
    )
    await h.execute(
        "INSERT INTO referral_member (guild_id, user_id, showcase, updated_at) "
        "VALUES (?, ?, 1, ?), (?, ?, 1, ?), (?, ?, 1, ?)",
        *(v for user in (11, 12, 14) for v in (guild, U(user), iso(at(9, 1)))),
    )
    await h.order("o10", 12, 4200, "EUR", at(10, 20))  # W11
    await h.order("o1", 11, 5000, "EUR", at(10, 27))
    await h.order("o2", 11, 2500, "EUR", at(10, 28))
    await h.order("o3", 12, 10000, "DKK", at(10, 29))
    await h.order("o4", 12, 3000, "EUR", at(10, 30), "refunded")
    await h.order("o5", 13, 4000, "EUR", at(10, 30), own=True)  # own code: never counted
    await h.order("o6", 16, 1500, "DKK", at(10, 31))  # 16 never opted in to being named
    await h.order("o7", 14, 2000, "EUR", at(10, 29))  # 14 has left
    await h.order("o8", 12, 700, "DKK", at(11, 1))
    await h.order("o9", 18, 100, "EUR", at(10, 31), "cancelled")

    # Leaders: one per 10 members past 20. Leader 1 since 1 Sep; 2 from 1 Oct to 29 Oct.
    await h.execute(
        "INSERT INTO leader_settings (guild_id, members_per_leader, alert_at, updated_at) "
        "VALUES (?, 10, 20, ?)",
        guild,
        iso(at(8, 25)),
    )
    await h.execute(
        "INSERT INTO leader (guild_id, user_id, status, since) VALUES (?, ?, 'active', ?)",
        guild,
        U(1),
        iso(at(9, 1)),
    )
    await h.execute(
        "INSERT INTO leader (guild_id, user_id, status, since, ended_at) "
        "VALUES (?, ?, 'stepped_down', ?, ?)",
        guild,
        U(2),
        iso(at(10, 1)),
        iso(at(10, 29)),
    )
    circle_sql = "INSERT INTO circle (guild_id, name, leader_id, created_at, closed_at) "
    north = await h.execute(
        circle_sql + "VALUES (?, 'North', ?, ?, NULL)", guild, U(1), iso(at(9, 1))
    )
    south = await h.execute(circle_sql + "VALUES (?, 'South', NULL, ?, NULL)", guild, iso(at(9, 1)))
    old = await h.execute(
        circle_sql + "VALUES (?, 'Old', NULL, ?, ?)", guild, iso(at(9, 1)), iso(at(9, 2))
    )
    for circle_id, people in ((north, (1, 3, 11, 12, 22)), (south, (13, 15)), (old, (16,))):
        for n in people:
            await h.execute(
                "INSERT INTO circle_member (guild_id, user_id, circle_id, added_at) "
                "VALUES (?, ?, ?, ?)",
                guild,
                U(n),
                circle_id,
                iso(at(9, 2)),
            )
    for circle_id, leader, member, when in (
        (north, 1, 3, at(10, 27)),
        (north, 1, 11, at(10, 30)),
        (north, 1, 11, at(10, 31)),
        (north, 1, 22, at(10, 20)),  # 22 has left since
        (north, 1, 12, at(9, 20)),  # more than 30 days ago
        (south, 2, 13, at(10, 1)),
    ):
        await h.execute(
            "INSERT INTO circle_checkin (guild_id, circle_id, leader_id, member_id, at) "
            "VALUES (?, ?, ?, ?, ?)",
            guild,
            circle_id,
            U(leader),
            U(member),
            iso(when),
        )


@pytest.fixture
def health(services: Services) -> HealthService:
    return services.health


async def test_the_week_against_the_week_before(
    services: Services, clock: FakeClock, health: HealthService
) -> None:
    await script(services.db)
    clock.now = NOW
    report = await health.weekly(G)
    w12, w11 = report.current, report.previous
    assert (w12.start, w12.end) == (datetime(2026, 10, 26, tzinfo=UTC), NOW)
    assert (w11.start, w11.end) == (datetime(2026, 10, 19, tzinfo=UTC), w12.start)

    # Growth. Members on 19 Oct: 1-10 (10) + 11, 12, 13, 15, 16, 18, 19, 20 (8) = 18
    # (14 left on 12 Oct, 17 on 1 Oct). W11: +21 +22, -20 -> 19. W12: +23 24 25 26 27 17,
    # recorded 28, -10 22 27 -> 19 + 6 + 1 - 3 = 23.
    g = w11.growth
    assert (g.members_start, g.members_end, g.admitted, g.recorded, g.left) == (18, 19, 2, 0, 1)
    assert pct(g.net_growth.value) == 5.56  # 1 / 18
    g = w12.growth
    assert (g.members_start, g.members_end, g.admitted, g.recorded, g.left) == (19, 23, 6, 1, 3)
    assert g.net == 4 and pct(g.net_growth.value) == 21.05  # 4 / 19

    # Invitations. W12: introduction 24, referral 23 and 17, invite 26, vanity 27, unknown 25.
    i = w12.invitations
    assert dict(i.by_source) == {
        "introduction": 1,
        "referral": 2,
        "invite": 1,
        "vanity": 1,
        "unknown": 1,
    }
    assert i.admitted == 6 and pct(i.share("referral").value) == 33.33  # 2 / 6
    # Written in W12: G (used by 24, admitted 28 Oct), H (expired), I (open); J cancelled.
    assert (i.introductions_issued, i.introductions_admitted) == (3, 1)
    assert pct(i.conversion.value) == 33.33  # 1 / 3
    # 30th day in W12: 20 (admitted 28 Sep, 30th day 28 Oct) had left on 20 Oct.
    assert (i.reached_30_days, i.stayed_30_days) == (1, 0) and i.retention.value == 0.0
    i = w11.invitations
    assert dict(i.by_source) == {
        "introduction": 1,
        "referral": 0,
        "invite": 0,
        "vanity": 1,
        "unknown": 0,
    }
    # W11: F (used by 22, admitted 21 Oct) and K (expired) -> 1 of 2.
    assert (i.introductions_issued, i.introductions_admitted) == (2, 1)
    # 30th day in W11: 17 (admitted 21 Sep, left after 10 days) and 19 (admitted 22 Sep, here).
    assert (i.reached_30_days, i.stayed_30_days) == (2, 1) and i.retention.value == 0.5

    # Churn. W11: 1 / 18 = 5.56 %, 20 left early. W12: 3 / 19 = 15.79 %; 22 (7 days) and 27
    # (1 day) early, 10 was recorded at setup (never early).
    assert (w11.churn.left, w11.churn.left_early, pct(w11.churn.rate.value)) == (1, 1, 5.56)
    assert (w12.churn.left, w12.churn.left_early, pct(w12.churn.rate.value)) == (3, 2, 15.79)
    assert pct(w12.churn.early.value) == 66.67  # 2 of the 3 who left

    # Participation. W12 (26 Oct-1 Nov, members on 2 Nov: 23): 1 (conversation + votes),
    # 2 (conversation, two channels), 3 (RSVP + attendance: one kind, events), 11 (feedback
    # item; the upvote it received is credit, not an act), 23 (conversation; the introduction
    # that stayed is credit) -> 5 active, 1 broad (1). Not counted: 10 (left), 29 (in the
    # gate), 4 (a zero count, and an upvote received), 5 (2 Nov).
    p = w12.participation
    assert (p.enabled, p.weeks, p.active, p.broad, p.member_weeks) == (True, 1, 5, 1, 23)
    assert (pct(p.rate.value), pct(p.breadth.value)) == (21.74, 4.35)  # 5/23, 1/23
    # W11 (19-25 Oct, members on 26 Oct: 19): 1, 21 (votes + conversation), 5, 22 -> 4, 1.
    p = w11.participation
    assert (p.active, p.broad, p.member_weeks) == (4, 1, 19)
    assert (pct(p.rate.value), pct(p.breadth.value)) == (21.05, 5.26)

    # NPS. W11: general 10, 9, 9, 8; Boots 10, 7 -> 4 promoters, 2 passives: 100 x 4/6.
    assert (w11.nps.overall.n, round(w11.nps.overall.score or 0, 2)) == (6, 66.67)
    # W12: general 3, 6, 9, 10; Boots 2, 10, 9; Bags 8 -> promoters (9-10): 9, 10, 10, 9 = 4;
    # passives (7-8): 8 = 1; detractors (0-6): 3, 6, 2 = 3.
    o = w12.nps.overall
    assert (o.promoters, o.passives, o.detractors) == (4, 1, 3)
    assert o.score == 12.5  # 100 x (4 - 3) / 8
    # Margin: p = 4/8 = 0.5, d = 3/8 = 0.375; p + d - (p - d)^2 = 0.875 - 0.015625 = 0.859375;
    # / 8 = 0.107421875; sqrt = 0.327753; x 1.96 x 100 = 64.24.
    assert o.margin == pytest.approx(64.24, abs=0.01)
    assert [(name, s.promoters, s.passives, s.detractors) for name, s in w12.nps.by_product] == [
        ("Boots", 2, 0, 1),  # 100 x (2 - 1) / 3 = 33.33
        ("Bags", 0, 1, 0),
    ]
    boots, bags = (score for _, score in w12.nps.by_product)
    assert round(boots.score or 0, 2) == 33.33 and bags.score == 0.0
    # Boots: p = 2/3, d = 1/3: 1 - 1/9 = 0.8889; / 3 = 0.2963; sqrt 0.5443 x 196 = 106.69.
    assert boots.margin == pytest.approx(106.69, abs=0.01)
    assert bags.margin is None  # one answer: no margin

    # Sales. W12 paid: EUR o1 5000 + o2 2500 + o7 2000 = 9,500 (3); DKK o3 10000 + o6 1500 +
    # o8 700 = 12,200 (3). o4 refunded; o5 own code; o9 cancelled.
    s = w12.sales
    assert [(c.currency, c.orders, c.amount_minor) for c in s.by_currency] == [
        ("DKK", 3, 12_200),
        ("EUR", 3, 9_500),
    ]
    assert (s.paid_orders, s.refunded) == (6, 1)
    # Top: 11 (o1, o2) and 12 (o3, o8) tie at 2 (lower id first); 16 never opted in, 14 left.
    assert [(r.user_id, r.orders) for r in s.top_referrers] == [(U(11), 2), (U(12), 2)]
    assert [(c.currency, c.orders, c.amount_minor) for c in w11.sales.by_currency] == [
        ("EUR", 1, 4200)
    ]

    # Leaders. 2 Nov: leader 1 only (2 stepped down on 29 Oct); 23 members, one per 10 past 20
    # -> 3 needed. Circles now: North 3, 11, 12 (22 left; 1 leads it), South 13, 15 -> 5;
    # checked in within 30 days: 3 (27 Oct), 11 (30 Oct) -> 2 / 5.
    ld = w12.leaders
    assert (ld.enabled, ld.leaders, ld.members, ld.members_per_leader, ld.needed) == (
        True,
        1,
        23,
        23.0,
        3,
    )
    assert ld.short and (ld.circle_members, ld.checked_in, pct(ld.coverage.value)) == (5, 2, 40.0)
    # 26 Oct: leaders 1 and 2 for 19 members (9.5 each); checked in since 26 Sep: 13 (1 Oct).
    ld = w11.leaders
    assert (ld.leaders, ld.members_per_leader, ld.short, ld.checked_in) == (2, 9.5, False, 1)

    # The gate on 2 Nov: 29 (since 29 Oct 08:00, answered: waits for a moderator), 30 (6 h).
    gate = w12.gate
    assert (gate.pending, gate.waiting_long, gate.waiting_moderator) == (2, 1, 1)
    assert gate.longest_wait == timedelta(days=3, hours=16)
    assert w11.gate.pending == 0  # 31 was refused at once

    # Alerts: churn 15.79 % >= 2 x 5.56 %; NPS 66.67 -> 12.5; 1 leader of 3; the gate.
    found = {a.kind: dict(a.values) for a in report.alerts}
    assert list(found) == ["churn_doubled", "nps_dropped", "leaders_needed", "gate_stalled"]
    assert found["leaders_needed"] == {"members": 23, "leaders": 1, "needed": 3, "per_leader": 10}
    assert found["gate_stalled"] == {"waiting": 1, "moderator": 1, "hours": 88.0}
    assert found["churn_doubled"]["left"] == 3


async def test_longer_periods(services: Services, clock: FakeClock, health: HealthService) -> None:
    await script(services.db)
    clock.now = NOW
    month = await health.period_report(G, "month")
    # Four weeks to 1 Nov: active 5 (W12) + 4 (W11) + 0 + 0; members at each week's end:
    # 23 (2 Nov) + 19 (26 Oct) + 18 (19 Oct) + 19 (12 Oct: 14 left at 10:00 that day).
    p = month.current.participation
    assert (p.weeks, p.active, p.member_weeks) == (4, 9, 79)
    assert pct(p.rate.value) == 11.39  # 9 / 79
    assert p.average_active == 2.25 and p.average_members == 19.75

    quarter = await health.period_report(G, "quarter")
    g = quarter.current.growth
    # 3 Aug - 2 Nov: nobody at the start; 18 admitted through the gate (11-27 and 17 again),
    # 11 recorded (1-10, 28), 6 left (17, 14, 20, 10, 22, 27): 0 + 18 + 11 - 6 = 23.
    assert (g.members_start, g.members_end, g.admitted, g.recorded, g.left) == (0, 23, 18, 11, 6)
    assert g.net_growth.value is None  # no members at the start: no growth rate, not 0 %
    assert quarter.current.churn.rate.value is None
    assert not quarter.previous.growth.has_data
    # Signals start on 12 Aug: of 13 weeks, those ending from 12 Aug on (12 of them) count.
    assert quarter.current.participation.weeks == 12
    assert not quarter.previous.participation.weeks
    assert quarter.previous.participation.rate.value is None


async def test_an_empty_community_has_no_data_rather_than_zeros(
    services: Services, clock: FakeClock, health: HealthService
) -> None:
    report = await health.weekly(OTHER)
    assert report.is_empty and report.alerts == ()
    now = report.current
    assert now.growth.net_growth.value is None and now.churn.rate.value is None
    assert now.invitations.conversion.value is None and now.invitations.retention.value is None
    assert now.invitations.share("vanity").value is None
    assert not now.participation.enabled and now.participation.rate.value is None
    assert not now.nps.enabled and now.nps.overall.score is None
    assert now.nps.overall.margin is None
    assert not now.sales.enabled and not now.leaders.enabled and not now.leaders.short
    assert now.leaders.members_per_leader is None and now.leaders.coverage.value is None
    assert now.gate.longest_wait is None

    # Features in use but without data this week: enabled, and still no made-up zero.
    clock.now = NOW - timedelta(days=30)
    await services.polls.create_nps(OTHER, 5, question="Recommend us?")
    clock.now = NOW
    report = await health.weekly(OTHER)
    assert report.current.nps.enabled and report.current.nps.overall.score is None


def test_alert_thresholds() -> None:
    """Churn must double with at least 2 leaving; NPS must fall by more than 10 points."""
    from dataclasses import replace

    from bot.services.health.models import (
        Churn,
        Gate,
        Growth,
        Invitations,
        Leadership,
        Nps,
        Participation,
        PeriodFigures,
        Sales,
    )

    def figures(left: int, start: int, promoters: int, detractors: int) -> PeriodFigures:
        return PeriodFigures(
            start=NOW,
            end=NOW,
            growth=Growth(start, start - left, 0, 0, left),
            invitations=Invitations({}, 0, 0, 0, 0),
            churn=Churn(start, left, 0),
            participation=Participation(enabled=False),
            nps=Nps(True, NpsScore(promoters, 10 - promoters - detractors, detractors)),
            sales=Sales(enabled=False),
            leaders=Leadership(enabled=False),
            gate=Gate(0, 0, 0, None),
        )

    base = figures(left=1, start=20, promoters=5, detractors=2)  # churn 5 %, NPS 30
    assert [a.kind for a in alerts(figures(2, 20, 5, 2), base)] == ["churn_doubled"]  # 10 %
    assert alerts(figures(1, 10, 5, 2), base) == ()  # 10 % too, but one person: noise
    assert alerts(figures(1, 20, 4, 2), base) == ()  # NPS 20: down by exactly 10
    assert [a.kind for a in alerts(figures(1, 20, 4, 3), base)] == ["nps_dropped"]  # 10: -20
    zero = replace(base, churn=Churn(20, 0, 0))
    assert alerts(figures(3, 20, 5, 2), zero) == ()  # from 0 %: not "doubled"


async def test_snapshots_are_taken_once_caught_up_and_survive_forgetting(
    services: Services, clock: FakeClock, health: HealthService, db: Database
) -> None:
    await script(services.db)
    clock.now = NOW
    snaps = health.snapshots
    stored = await snaps.catch_up(G)
    # From the first join (10 Aug) to yesterday (1 Nov): 84 days.
    assert stored[0] == date(2026, 8, 10) and stored[-1] == date(2026, 11, 1)
    assert len(stored) == 84
    assert await snaps.catch_up(G) == []  # idempotent
    before = [tuple(r) for r in await db.fetch_all("SELECT * FROM health_daily ORDER BY day")]

    days = {s.day: s for s in await snaps.history(G)}
    # 1 Nov: 27 left (early); 23 members at its end; 29 and 30 in the gate; the W12 window
    # (5 active, 1 broad); 9's answer (10); o8 (DKK 7.00); leader 1, 2 of 5 checked in.
    nov1 = days[date(2026, 11, 1)]
    assert (nov1.members, nov1.pending, nov1.admitted, nov1.left, nov1.left_early) == (
        23,
        2,
        0,
        1,
        1,
    )
    assert (nov1.active_7d, nov1.broad_7d) == (5, 1)
    assert nov1.nps == NpsScore(promoters=1)
    assert nov1.orders_paid == 1 and [(s.currency, s.amount_minor) for s in nov1.sales] == [
        ("DKK", 700)
    ]
    assert (nov1.leaders, nov1.circle_members, nov1.checked_in_30d) == (1, 5, 2)
    # 27 Oct: 23 admitted (referral), 10 left; 32 left the gate (not a member).
    oct27 = days[date(2026, 10, 27)]
    assert (oct27.members, oct27.admitted, oct27.left, oct27.left_early) == (19, 1, 1, 0)
    assert oct27.admitted_by_source["referral"] == 1
    # 30 Oct: 26 admitted (invite), 28 recorded by hand, introduction I written.
    oct30 = days[date(2026, 10, 30)]
    assert (oct30.admitted, oct30.recorded, oct30.introductions_issued) == (1, 1, 1)
    assert oct30.orders_paid == 0 and oct30.orders_refunded == 1  # o4; o5 is an own order
    # Before each feature was used: no data (NULL), not zeros.
    aug10 = days[date(2026, 8, 10)]
    assert aug10.members == 10 and aug10.recorded == 10 and aug10.admitted == 0
    assert aug10.active_7d is None and aug10.nps is None and aug10.orders_paid is None
    assert aug10.leaders is None
    assert days[date(2026, 8, 12)].active_7d == 1  # signals from 12 Aug
    assert days[date(2026, 8, 15)].nps == NpsScore()  # NPS asked, nobody answered that day
    assert days[date(2026, 8, 25)].leaders == 0  # leaders set up, none yet

    # Aggregates only: no stored value is a member id.
    ids = {U(n) for n in range(1, 40)}
    assert not [v for row in before for v in row if v in ids]

    # Forgetting a member changes the live figures, never the stored days.
    await services.privacy.forget(G, U(11))
    assert [tuple(r) for r in await db.fetch_all("SELECT * FROM health_daily ORDER BY day")] == (
        before
    )
    assert (await health.weekly(G)).current.growth.members_end == 22

    # A day later one day is added; after three days of downtime, three.
    clock.advance(days=1)
    assert await snaps.catch_up(G) == [date(2026, 11, 2)]
    clock.advance(days=3)
    assert await snaps.catch_up(G) == [date(2026, 11, 3), date(2026, 11, 4), date(2026, 11, 5)]


async def test_the_daily_job_is_armed_once_and_rearms_itself(
    services: Services, clock: FakeClock, health: HealthService
) -> None:
    await script(services.db)
    clock.now = NOW
    clock.now = NOW + timedelta(hours=15)
    snaps = health.snapshots
    assert await snaps.arm(G) == clock.now  # none yet: run now, catching up
    assert await snaps.arm(G) == clock.now  # armed: not moved
    [job] = await services.jobs.claim_due([SNAPSHOT_JOB])
    assert job.guild_id == G
    stored = await snaps.run(G)
    assert len(stored) == 84
    [next_job] = await services.jobs.pending(SNAPSHOT_JOB)
    assert next_job.due_at == datetime(2026, 11, 3, 0, 10, tzinfo=UTC)  # after next midnight
    assert await snaps.run(G) == []  # a second run the same day stores nothing


async def test_chart_points_and_export(
    services: Services, clock: FakeClock, health: HealthService
) -> None:
    await script(services.db)
    clock.now = NOW
    await health.snapshots.catch_up(G)
    week = await health.chart_points(G, "week")
    # Daily over W11 and W12: 19 Oct .. 1 Nov.
    assert [p.day for p in week] == [date(2026, 10, 19) + timedelta(k) for k in range(14)]
    last = week[-1]
    assert (last.members, last.joined, last.left) == (23, 0, 1)
    assert last.active_share == pytest.approx(5 / 23)
    # NPS over the 28 days to 1 Nov (5 Oct-1 Nov): W11 4 P 2 Pa, W12 4 P 1 Pa 3 D, and 10's 0
    # on 15 Oct: 8 promoters, 4 detractors of 15: 100 x 4 / 15 = 26.67.
    assert last.nps == pytest.approx(26.67, abs=0.01)
    quarter = await health.chart_points(G, "quarter")
    # Weekly back from 1 Nov while there are snapshots (from 10 Aug): 1 Nov - 7k >= 10 Aug,
    # k = 0..11.
    assert len(quarter) == 12 and quarter[-1].day == date(2026, 11, 1)
    # The week to 1 Nov: 6 admitted + 1 recorded joined, 3 left.
    assert (quarter[-1].joined, quarter[-1].left) == (7, 3)
    assert quarter[0].day == date(2026, 8, 16) and quarter[0].nps is None

    header, rows = await health.export(G)
    assert header[:7] == ["day", "members", "pending", "admitted", "recorded", "left", "left_early"]
    assert "orders_DKK" in header and "revenue_EUR" in header
    by_day = {row["day"]: row for row in rows}
    nov1 = by_day["2026-11-01"]
    assert (nov1["members"], nov1["active_7d"], nov1["active_share_7d"]) == (23, 5, "0.2174")
    assert (nov1["orders_DKK"], nov1["revenue_DKK"], nov1["revenue_EUR"]) == (1, "7.00", "0.00")
    aug10 = by_day["2026-08-10"]
    assert aug10["active_7d"] == "" and aug10["nps_answers"] == "" and aug10["revenue_EUR"] == ""
