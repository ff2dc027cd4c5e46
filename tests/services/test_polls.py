"""Polls, ratings and NPS surveys on real SQLite."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database
from bot.errors import DomainError
from bot.services import Services
from bot.services.feedback.polls import (
    CLOSE_JOB,
    PollService,
    parse_closes,
    parse_options,
    voter_key,
)
from bot.services.feedback.surveys import score_of
from tests.conftest import FakeClock

G, OTHER_G = 1, 2
MOD = 10
ANA, BEN, CAM = 21, 22, 23
ROLE = 500


@pytest.fixture
def polls(services: Services) -> PollService:
    return services.polls


async def rows(db: Database, sql: str, *params: object) -> list[tuple[object, ...]]:
    return [tuple(row) for row in await db.fetch_all(sql, params)]


async def snapshot(db: Database) -> list[list[tuple[object, ...]]]:
    return [
        await rows(db, f"SELECT * FROM {table} ORDER BY 1, 2")
        for table in ("poll", "poll_option", "poll_vote", "poll_comment", "scheduled_job")
    ]


# -- input -----------------------------------------------------------------------------------
def test_options_are_split_trimmed_and_checked() -> None:
    assert parse_options(" Red ;Blue\nGreen;; ") == ("Red", "Blue", "Green")
    refusals = {
        "Only one": "poll.options.count",
        ";".join(f"o{i}" for i in range(11)): "poll.options.count",
        "Red; red": "poll.options.duplicate",
        f"Red; {'x' * 81}": "poll.options.too_long",
    }
    for text, key in refusals.items():
        with pytest.raises(DomainError) as caught:
            parse_options(text)
        assert caught.value.key == key, text
    assert len(parse_options(";".join(f"o{i}" for i in range(10)))) == 10
    assert parse_options(f"a;{'x' * 80}")[1] == "x" * 80


def test_closes_reads_durations_and_dates() -> None:
    now = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    read = lambda text: parse_closes(text, locale="en-US", tz="UTC", now=now)  # noqa: E731
    assert read("3d") == now + timedelta(days=3)
    assert read("12h") == now + timedelta(hours=12)
    assert read("90m") == now + timedelta(minutes=90)
    assert read("2 jours") == now + timedelta(days=2)
    assert read("2026-11-05 18:00") == datetime(2026, 11, 5, 18, 0, tzinfo=UTC)
    assert read("2026-11-05") == datetime(2026, 11, 5, 23, 59, tzinfo=UTC)  # end of that day
    for bad in ("0m", "400d", "soon", "2020-01-01 10:00", "3x", "2027-12-01 10:00"):
        with pytest.raises(DomainError) as caught:
            read(bad)
        assert caught.value.key == "poll.closes.invalid", bad


# -- creating --------------------------------------------------------------------------------
async def test_create_arms_the_deadline_and_refusals_change_nothing(
    polls: PollService, services: Services, clock: FakeClock
) -> None:
    closes = clock() + timedelta(days=3)
    poll = await polls.create_poll(
        G, MOD, question="  Next   colour? ", options="Red;Blue", closes_at=closes, role_id=ROLE
    )
    assert (poll.question, poll.options, poll.kind) == ("Next colour?", ("Red", "Blue"), "poll")
    assert poll.closes_at == closes and poll.role_id == ROLE and poll.is_open
    [job] = await services.jobs.pending(CLOSE_JOB)
    assert (job.key, job.due_at, job.payload["poll_id"]) == (str(poll.id), closes, poll.id)

    before = await snapshot(services.db)
    for kwargs in (
        {"question": "x" * 301, "options": "a;b"},
        {"question": "", "options": "a;b"},
        {"question": "Q", "options": "a"},
        {"question": "Q", "options": "a;A"},
        {"question": "Q", "options": "a;b", "closes_at": clock() - timedelta(minutes=1)},
    ):
        with pytest.raises(DomainError):
            await polls.create_poll(G, MOD, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(DomainError):
        await polls.create_rating(G, MOD, product="x" * 81, question="Q")
    assert await snapshot(services.db) == before

    with pytest.raises(DomainError) as caught:
        await polls.get(OTHER_G, poll.id)
    assert caught.value.key == "poll.unknown"
    await polls.remove(G, poll.id)
    assert await services.jobs.pending(CLOSE_JOB) == []


# -- voting ----------------------------------------------------------------------------------
async def test_single_choice_vote_change_and_withdraw(polls: PollService) -> None:
    poll = await polls.create_poll(G, MOD, question="Q", options="A;B;C")
    first = await polls.vote(G, poll.id, ANA, 0, [])
    assert (first.chosen, first.changed) == ((0,), True)
    moved = await polls.vote(G, poll.id, ANA, 2, [])
    assert moved.chosen == (2,)
    await polls.vote(G, poll.id, BEN, 2, [])
    assert await polls.counts(poll) == (0, 0, 2)
    back = await polls.vote(G, poll.id, ANA, 2, [])
    assert (back.chosen, back.changed) == ((), True)
    assert await polls.counts(poll) == (0, 0, 1)
    assert await polls.voters(poll.id) == 1


async def test_multi_choice_toggles(polls: PollService) -> None:
    poll = await polls.create_poll(G, MOD, question="Q", options="A;B;C", multi=True)
    await polls.vote(G, poll.id, ANA, 0, [])
    both = await polls.vote(G, poll.id, ANA, 1, [])
    assert both.chosen == (0, 1)
    assert (await polls.vote(G, poll.id, ANA, 0, [])).chosen == (1,)
    assert await polls.counts(poll) == (0, 1, 0)


async def test_concurrent_clicks_count_once(polls: PollService) -> None:
    poll = await polls.create_poll(G, MOD, question="Q", options="A;B", multi=True)
    await asyncio.gather(*(polls.vote(G, poll.id, user, 0, []) for user in range(100, 150)))
    assert await polls.counts(poll) == (50, 0)


async def test_refused_votes_change_nothing(
    polls: PollService, services: Services, clock: FakeClock
) -> None:
    poll = await polls.create_poll(
        G, MOD, question="Q", options="A;B", role_id=ROLE, closes_at=clock() + timedelta(hours=1)
    )
    await polls.set_message(poll.id, 7, 8)
    before = await snapshot(services.db)
    cases = [
        ((G, poll.id, 2, [ROLE], None), "poll.option.invalid"),
        ((G, poll.id, 0, [], None), "poll.vote.role"),
        ((G, poll.id, 0, [ROLE + 1], None), "poll.vote.role"),
        ((OTHER_G, poll.id, 0, [ROLE], None), "poll.unknown"),
        ((G, poll.id, 0, [ROLE], 9), "poll.button.invalid"),  # a copy on another message
    ]
    for (guild, poll_id, position, roles, message), key in cases:
        with pytest.raises(DomainError) as caught:
            await polls.vote(guild, poll_id, ANA, position, roles, via_message=message)
        assert caught.value.key == key
    clock.advance(hours=1)  # past the deadline, before the job ran
    with pytest.raises(DomainError) as caught:
        await polls.vote(G, poll.id, ANA, 0, [ROLE], via_message=8)
    assert caught.value.key == "poll.closed"
    assert await snapshot(services.db) == before


async def test_close_is_idempotent_and_refuses_later_votes(
    polls: PollService, services: Services, clock: FakeClock
) -> None:
    poll = await polls.create_poll(
        G, MOD, question="Q", options="A;B", closes_at=clock() + timedelta(days=1)
    )
    await polls.vote(G, poll.id, ANA, 1, [])
    closing = await polls.close(G, poll.id)
    assert closing.changed and not closing.poll.is_open
    assert await services.jobs.pending(CLOSE_JOB) == []
    assert not (await polls.close(G, poll.id)).changed
    with pytest.raises(DomainError) as caught:
        await polls.vote(G, poll.id, BEN, 0, [])
    assert caught.value.key == "poll.closed"
    assert await polls.counts(closing.poll) == (0, 1)


# -- anonymous polls -------------------------------------------------------------------------
async def test_anonymous_votes_are_hashed_then_reduced_to_counts(
    polls: PollService, services: Services
) -> None:
    poll = await polls.create_poll(G, MOD, question="Q", options="A;B;C", anonymous=True)
    for user, position in ((ANA, 0), (BEN, 0), (CAM, 2)):
        await polls.vote(G, poll.id, user, position, [])
    await polls.vote(G, poll.id, CAM, 1, [])  # a change still works while open
    stored = await rows(services.db, "SELECT voter, voted_at FROM poll_vote")
    assert len(stored) == 3
    assert all(voter not in {str(ANA), str(BEN), str(CAM)} for voter, _ in stored)
    assert all(voted_at is None for _, voted_at in stored)  # no timing to correlate either
    [(salt,)] = await rows(services.db, "SELECT ballot_salt FROM poll")
    assert (voter_key(str(salt), ANA), None) in stored
    exported = await polls.export(G, poll.id)
    assert exported.header == ("option", "label", "votes", "percent")

    closing = await polls.close(G, poll.id)
    assert await rows(services.db, "SELECT * FROM poll_vote") == []
    assert await rows(services.db, "SELECT ballot_salt FROM poll") == [(None,)]
    assert await rows(services.db, "SELECT final_votes FROM poll_option ORDER BY position") == [
        (2,),
        (1,),
        (0,),
    ]
    assert await polls.counts(closing.poll) == (2, 1, 0)
    exported = await polls.export(G, poll.id)
    assert [dict(row) for row in exported.rows] == [
        {"option": 1, "label": "A", "votes": 2, "percent": "66.7"},
        {"option": 2, "label": "B", "votes": 1, "percent": "33.3"},
        {"option": 3, "label": "C", "votes": 0, "percent": "0.0"},
    ]
    assert await polls.export_member(G, ANA) == {}


# -- ratings and NPS -------------------------------------------------------------------------
async def test_nps_answers_comments_and_the_score(polls: PollService, clock: FakeClock) -> None:
    nps = await polls.create_nps(G, MOD, question="Recommend us?", product="Boots")
    assert nps.options == tuple(str(v) for v in range(11))
    with pytest.raises(DomainError) as caught:
        await polls.comment(G, nps.id, ANA, "Great")
    assert caught.value.key == "poll.comment.answer_first"
    answers = {ANA: 10, BEN: 9, CAM: 3, 24: 7}
    for user, score in answers.items():
        await polls.vote(G, nps.id, user, score, [])
    same = await polls.vote(G, nps.id, ANA, 10, [])  # the same answer again: kept
    assert (same.chosen, same.changed) == ((10,), False)
    await polls.comment(G, nps.id, ANA, "  The @everyone leather  ")
    await polls.comment(G, nps.id, ANA, "The leather")  # replaced
    with pytest.raises(DomainError):
        await polls.comment(G, nps.id, BEN, "x" * 1001)
    score = score_of("nps", await polls.counts(nps))
    assert (score.n, score.nps, score.average) == (4, 25, 7.25)  # 50% promoters - 25% detractors

    exported = await polls.export(G, nps.id)
    assert exported.header == ("user_id", "score", "voted_at", "comment")
    by_user = {row["user_id"]: row for row in exported.rows}
    assert by_user[str(ANA)]["comment"] == "The leather" and by_user[str(ANA)]["score"] == "10"
    assert by_user[str(CAM)]["comment"] == "" and by_user[str(CAM)]["score"] == "3"


async def test_survey_report_per_product_and_month(polls: PollService, clock: FakeClock) -> None:
    october = await polls.create_nps(G, MOD, question="Q", product="Boots")
    for user, score in ((ANA, 10), (BEN, 2)):
        await polls.vote(G, october.id, user, score, [])
    clock.advance(days=31)
    november = await polls.create_nps(G, MOD, question="Q", product="Belts")
    for user, score in ((ANA, 9), (BEN, 9), (CAM, 8)):
        await polls.vote(G, november.id, user, score, [])
    rating = await polls.create_rating(G, MOD, product="Boots", question="Rate them")
    for user, stars in ((ANA, 4), (BEN, 2)):  # positions: 5 stars is position 4
        await polls.vote(G, rating.id, user, stars, [])
    await polls.create_nps(OTHER_G, MOD, question="Elsewhere")

    report = await polls.survey_report(G)
    assert (report.nps.n, report.nps.nps) == (5, 40)  # 3 promoters, 1 detractor of 5
    assert [(m, s.nps, s.n) for m, s in report.nps_by_month] == [
        ("2026-11", 0, 2),
        ("2026-12", 67, 3),
    ]
    assert [(p, s.n) for p, s in report.nps_by_product] == [("Belts", 3), ("Boots", 2)]
    assert (report.rating.n, report.rating.average) == (2, 4.0)
    boots = await polls.survey_report(G, "boots")
    assert (boots.nps.n, boots.nps.nps, boots.rating.n) == (2, 0, 2)


# -- privacy ---------------------------------------------------------------------------------
async def test_export_and_forget_a_member(polls: PollService, services: Services) -> None:
    named = await polls.create_poll(G, ANA, question="Named", options="A;B")
    secret = await polls.create_poll(G, MOD, question="Secret", options="A;B", anonymous=True)
    nps = await polls.create_nps(G, MOD, question="NPS")
    await polls.vote(G, named.id, ANA, 1, [])
    await polls.vote(G, secret.id, ANA, 0, [])
    await polls.vote(G, secret.id, BEN, 0, [])
    await polls.vote(G, nps.id, ANA, 8, [])
    await polls.comment(G, nps.id, ANA, "Nice")

    exported = await services.privacy.export(G, ANA)
    mine = exported["data"]["polls"]  # type: ignore[index]
    assert [(v["poll_id"], v["answer"]) for v in mine["votes"]] == [(named.id, "B"), (nps.id, "8")]
    assert "Secret" not in str(mine)  # anonymous votes are linked to nobody
    assert mine["comments"][0]["text"] == "Nice"
    assert mine["asked"] == [{"poll_id": named.id, "question": "Named"}]

    report = await services.privacy.forget(G, ANA)
    assert report.deleted["polls"] == 5  # 2 named votes, 1 anonymous vote, 1 comment, 1 poll
    assert await polls.counts(secret) == (1, 0)
    assert await polls.export_member(G, ANA) == {}
    assert (await polls.get(G, named.id)).author_id == 0


async def test_open_posted_lists_open_polls_with_a_message_in_every_guild(
    polls: PollService,
) -> None:
    unposted = await polls.create_poll(G, 9, question="Q", options="a;b")
    here = await polls.create_poll(G, 9, question="Q", options="a;b")
    there = await polls.create_poll(OTHER_G, 9, question="Q", options="a;b")
    closed = await polls.create_poll(G, 9, question="Q", options="a;b")
    for number, poll in enumerate((here, there, closed)):
        await polls.set_message(poll.id, 100, 200 + number)
    await polls.close(G, closed.id)
    assert [poll.id for poll in await polls.open_posted()] == [here.id, there.id]
    assert unposted.id not in {poll.id for poll in await polls.open_posted()}
