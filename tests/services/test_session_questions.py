"""The question queue of founder sessions, on real SQLite."""

from __future__ import annotations

import asyncio

import pytest

from bot.db import Database
from bot.errors import DomainError
from bot.services.privacy import PrivacyRegistry
from bot.services.sessions.questions import QuestionService
from tests.conftest import FakeClock

G = 1
OTHER_G = 2
HOST = 10
ANA, BEN, CAM, DEV = 21, 22, 23, 24


async def new_session(db: Database, guild_id: int = G, status: str = "scheduled") -> int:
    async with db.transaction() as tx:
        return await tx.execute(
            "INSERT INTO founder_session (guild_id, kind, title, host_id, starts_at, ends_at, "
            "status, created_at, updated_at) VALUES (?, 'ama', 'AMA', ?, "
            "'2026-11-03T18:00:00+00:00', '2026-11-03T19:00:00+00:00', ?, "
            "'2026-11-02T12:00:00+00:00', '2026-11-02T12:00:00+00:00')",
            (guild_id, HOST, status),
        )


async def count(db: Database, table: str) -> int:
    row = await db.fetch_one(f"SELECT count(*) FROM {table}")
    assert row is not None
    return int(row[0])


async def snapshot(db: Database) -> list[list[tuple[object, ...]]]:
    """Everything the service writes, to show a refusal changed nothing."""
    return [
        [tuple(row) for row in await db.fetch_all(f"SELECT * FROM {table} ORDER BY rowid")]
        for table in ("session_question", "session_question_vote", "session_question_author")
    ]


@pytest.fixture
def questions(db: Database, clock: FakeClock) -> QuestionService:
    return QuestionService(db, clock)


async def test_asking_strips_the_text_and_credits_the_author(
    db: Database, questions: QuestionService, clock: FakeClock
) -> None:
    session = await new_session(db)
    question = await questions.ask(G, session, ANA, "  What is  next?\n")
    assert question.text == "What is  next?"
    assert (question.guild_id, question.session_id, question.status) == (G, session, "open")
    assert question.author_ids == (ANA,)
    assert question.votes == 0
    assert question.created_at == clock.now
    assert (question.channel_id, question.message_id) == (None, None)
    await questions.set_message(question.id, 500, 600)
    listed = await questions.get(G, question.id)
    assert (listed.channel_id, listed.message_id) == (500, 600)


async def test_a_running_session_takes_questions_and_300_characters_fit(
    db: Database, questions: QuestionService
) -> None:
    session = await new_session(db, status="active")
    question = await questions.ask(G, session, ANA, "x" * 300)
    assert len(question.text) == 300


@pytest.mark.parametrize(
    ("text", "key", "params"),
    [
        ("   \n ", "session.question.empty", {}),
        ("x" * 301, "session.question.too_long", {"limit": 300}),
    ],
)
async def test_an_empty_or_long_question_is_refused(
    db: Database, questions: QuestionService, text: str, key: str, params: dict[str, object]
) -> None:
    session = await new_session(db)
    with pytest.raises(DomainError) as caught:
        await questions.ask(G, session, ANA, text)
    assert (caught.value.key, caught.value.params) == (key, params)
    assert await count(db, "session_question") == 0


@pytest.mark.parametrize("status", ["completed", "cancelled"])
async def test_a_session_that_is_over_takes_no_question(
    db: Database, questions: QuestionService, status: str
) -> None:
    session = await new_session(db, status=status)
    with pytest.raises(DomainError, match=r"^session\.question\.closed$"):
        await questions.ask(G, session, ANA, "Too late?")
    assert await count(db, "session_question") == 0


async def test_a_session_of_another_guild_is_unknown(
    db: Database, questions: QuestionService
) -> None:
    elsewhere = await new_session(db, guild_id=OTHER_G)
    for session in (elsewhere, 9999):
        with pytest.raises(DomainError, match=r"^session\.unknown$"):
            await questions.ask(G, session, ANA, "Hello?")
    assert await count(db, "session_question") == 0


async def test_a_member_has_at_most_three_open_questions_per_session(
    db: Database, questions: QuestionService
) -> None:
    session = await new_session(db)
    other = await new_session(db)
    asked = [await questions.ask(G, session, ANA, f"Question {n}") for n in range(3)]
    before = await snapshot(db)
    with pytest.raises(DomainError) as caught:
        await questions.ask(G, session, ANA, "A fourth")
    assert (caught.value.key, caught.value.params) == ("session.question.too_many", {"limit": 3})
    assert await snapshot(db) == before
    await questions.ask(G, other, ANA, "Another session is another count")
    await questions.ask(G, session, BEN, "Others still ask")
    await questions.take_next(G, session)  # an answered question frees a slot
    assert asked[0].id != (await questions.ask(G, session, ANA, "Now it fits")).id


async def test_get_refuses_unknown_questions_and_those_of_another_guild(
    db: Database, questions: QuestionService
) -> None:
    question = await questions.ask(G, await new_session(db), ANA, "Mine")
    for guild_id, question_id in ((OTHER_G, question.id), (G, 9999)):
        with pytest.raises(DomainError, match=r"^session\.question\.unknown$"):
            await questions.get(guild_id, question_id)
    with pytest.raises(DomainError, match=r"^session\.question\.unknown$"):
        await questions.set_message(9999, 1, 2)


async def test_upvote_toggles_one_vote_per_member(db: Database, questions: QuestionService) -> None:
    question = await questions.ask(G, await new_session(db), ANA, "Roadmap?")
    voted, added = await questions.upvote(G, question.id, BEN)
    assert (voted.votes, added) == (1, True)
    voted, added = await questions.upvote(G, question.id, CAM)
    assert (voted.votes, added) == (2, True)
    voted, added = await questions.upvote(G, question.id, BEN)  # a second click takes it back
    assert (voted.votes, added) == (1, False)
    voted, added = await questions.upvote(G, question.id, BEN)
    assert (voted.votes, added) == (2, True)
    assert (await questions.get(G, question.id)).votes == 2


async def test_concurrent_clicks_of_two_members_both_count(
    db: Database, questions: QuestionService
) -> None:
    question = await questions.ask(G, await new_session(db), ANA, "Roadmap?")
    results = await asyncio.gather(
        *(questions.upvote(G, question.id, user) for user in (BEN, CAM, DEV))
    )
    assert all(added for _, added in results)
    assert (await questions.get(G, question.id)).votes == 3


async def test_upvote_refusals_change_nothing(db: Database, questions: QuestionService) -> None:
    session = await new_session(db)
    question = await questions.ask(G, session, ANA, "Roadmap?")
    await questions.upvote(G, question.id, BEN)
    answered = await questions.ask(G, session, CAM, "Pricing?")
    await questions.skip(G, session, answered.id)
    before = await snapshot(db)
    refusals = [
        (G, question.id, ANA, "session.question.own"),
        (G, answered.id, BEN, "session.question.not_open"),
        (OTHER_G, question.id, BEN, "session.question.unknown"),
        (G, 9999, BEN, "session.question.unknown"),
    ]
    for guild_id, question_id, user_id, key in refusals:
        with pytest.raises(DomainError) as caught:
            await questions.upvote(guild_id, question_id, user_id)
        assert caught.value.key == key
    assert await snapshot(db) == before


async def test_ranked_lists_open_questions_by_votes_then_oldest(
    db: Database, questions: QuestionService, clock: FakeClock
) -> None:
    session = await new_session(db)
    old = await questions.ask(G, session, ANA, "Old")
    clock.advance(minutes=1)
    popular = await questions.ask(G, session, BEN, "Popular")
    clock.advance(minutes=1)
    young = await questions.ask(G, session, CAM, "Young")
    clock.advance(minutes=1)
    done = await questions.ask(G, session, DEV, "Done")
    await questions.upvote(G, popular.id, ANA)
    await questions.upvote(G, popular.id, CAM)
    await questions.upvote(G, young.id, ANA)
    await questions.upvote(G, done.id, ANA)
    await questions.upvote(G, done.id, BEN)
    await questions.upvote(G, done.id, CAM)
    await questions.skip(G, session, done.id)
    await questions.ask(G, await new_session(db), ANA, "Another session")
    ranked = await questions.ranked(G, session)
    assert [q.id for q in ranked] == [popular.id, young.id, old.id]
    assert [q.votes for q in ranked] == [2, 1, 0]
    assert [q.id for q in await questions.ranked(G, session, limit=2)] == [popular.id, young.id]
    assert await questions.ranked(OTHER_G, session) == []


async def test_take_next_answers_the_top_question_in_order(
    db: Database, questions: QuestionService, clock: FakeClock
) -> None:
    session = await new_session(db, status="active")
    first = await questions.ask(G, session, ANA, "First asked")
    second = await questions.ask(G, session, BEN, "Second asked")
    await questions.upvote(G, second.id, ANA)
    clock.advance(minutes=5)
    taken = await questions.take_next(G, session)
    assert taken is not None
    assert (taken.id, taken.status, taken.votes, taken.author_ids) == (
        second.id,
        "answered",
        1,
        (BEN,),
    )
    row = await db.fetch_one("SELECT closed_at FROM session_question WHERE id = ?", (second.id,))
    assert row is not None
    assert row["closed_at"] == "2026-11-02T12:05:00+00:00"
    clock.advance(minutes=5)
    after = await questions.take_next(G, session)
    assert after is not None
    assert after.id == first.id
    assert await questions.take_next(G, session) is None
    assert [q.id for q in await questions.answered(G, session)] == [second.id, first.id]
    assert await questions.answered(OTHER_G, session) == []


async def test_two_concurrent_take_next_never_return_the_same_question(
    db: Database, questions: QuestionService
) -> None:
    session = await new_session(db, status="active")
    await questions.ask(G, session, ANA, "One")
    await questions.ask(G, session, BEN, "Two")
    one, two = await asyncio.gather(
        questions.take_next(G, session), questions.take_next(G, session)
    )
    assert one is not None
    assert two is not None
    assert one.id != two.id
    lone = await new_session(db, status="active")
    await questions.ask(G, lone, ANA, "Only one")
    results = await asyncio.gather(questions.take_next(G, lone), questions.take_next(G, lone))
    assert sorted(r is None for r in results) == [False, True]


async def test_skip_takes_the_top_or_the_given_open_question(
    db: Database, questions: QuestionService
) -> None:
    session = await new_session(db, status="active")
    top = await questions.ask(G, session, ANA, "Top")
    other = await questions.ask(G, session, BEN, "Other")
    last = await questions.ask(G, session, CAM, "Last")
    await questions.upvote(G, top.id, BEN)
    skipped = await questions.skip(G, session, other.id)
    assert skipped is not None
    assert (skipped.id, skipped.status) == (other.id, "skipped")
    skipped = await questions.skip(G, session)
    assert skipped is not None
    assert (skipped.id, skipped.status) == (top.id, "skipped")
    assert [q.id for q in await questions.ranked(G, session)] == [last.id]
    assert await questions.answered(G, session) == []
    await questions.skip(G, session)
    assert await questions.skip(G, session) is None


async def test_skip_refusals_change_nothing(db: Database, questions: QuestionService) -> None:
    session = await new_session(db, status="active")
    elsewhere = await new_session(db, status="active")
    closed = await questions.ask(G, session, ANA, "Closed")
    await questions.take_next(G, session)
    foreign = await questions.ask(G, elsewhere, BEN, "In another session")
    before = await snapshot(db)
    refusals = [
        (G, session, closed.id, "session.question.not_open"),
        (G, session, foreign.id, "session.question.unknown"),
        (OTHER_G, elsewhere, foreign.id, "session.question.unknown"),
        (G, session, 9999, "session.question.unknown"),
    ]
    for guild_id, session_id, question_id, key in refusals:
        with pytest.raises(DomainError) as caught:
            await questions.skip(guild_id, session_id, question_id)
        assert caught.value.key == key
    assert await snapshot(db) == before


async def test_merge_unites_votes_and_credits_authors(
    db: Database, questions: QuestionService
) -> None:
    session = await new_session(db, status="active")
    keep = await questions.ask(G, session, ANA, "Will you open-source it?")
    duplicate = await questions.ask(G, session, BEN, "Open source when?")
    await questions.upvote(G, keep.id, CAM)  # votes on both: counted once
    await questions.upvote(G, duplicate.id, CAM)
    await questions.upvote(G, duplicate.id, DEV)  # moves to keep
    await questions.upvote(G, duplicate.id, ANA)  # keep's author: dropped
    await questions.upvote(G, keep.id, BEN)  # the duplicate's author, now credited: dropped
    merged = await questions.merge(G, keep.id, duplicate.id)
    assert merged.id == keep.id
    assert merged.author_ids == (ANA, BEN)
    assert merged.votes == 2
    voters = await db.fetch_all(
        "SELECT user_id FROM session_question_vote WHERE question_id = ? ORDER BY user_id",
        (keep.id,),
    )
    assert [row["user_id"] for row in voters] == [CAM, DEV]
    gone = await questions.get(G, duplicate.id)
    assert (gone.status, gone.votes) == ("merged", 0)
    row = await db.fetch_one(
        "SELECT merged_into FROM session_question WHERE id = ?", (duplicate.id,)
    )
    assert row is not None
    assert row["merged_into"] == keep.id
    assert [q.id for q in await questions.ranked(G, session)] == [keep.id]
    with pytest.raises(DomainError, match=r"^session\.question\.own$"):
        await questions.upvote(G, keep.id, BEN)
    _, added = await questions.upvote(G, keep.id, CAM)  # still a toggle: CAM's vote goes
    assert not added


async def test_merging_again_repoints_earlier_duplicates(
    db: Database, questions: QuestionService
) -> None:
    session = await new_session(db)
    first = await questions.ask(G, session, ANA, "A")
    second = await questions.ask(G, session, BEN, "B")
    third = await questions.ask(G, session, CAM, "C")
    await questions.merge(G, second.id, first.id)
    final = await questions.merge(G, third.id, second.id)
    assert final.author_ids == (CAM, BEN, ANA)
    rows = await db.fetch_all(
        "SELECT merged_into FROM session_question WHERE id IN (?, ?)", (first.id, second.id)
    )
    assert {row["merged_into"] for row in rows} == {third.id}


async def test_merge_refusals_change_nothing(db: Database, questions: QuestionService) -> None:
    session = await new_session(db, status="active")
    elsewhere = await new_session(db)
    keep = await questions.ask(G, session, ANA, "Keep")
    duplicate = await questions.ask(G, session, BEN, "Duplicate")
    await questions.upvote(G, duplicate.id, CAM)
    answered = await questions.ask(G, session, CAM, "Answered")
    await questions.upvote(G, answered.id, ANA)
    await questions.upvote(G, answered.id, BEN)
    await questions.take_next(G, session)
    foreign = await questions.ask(G, elsewhere, DEV, "Another session")
    before = await snapshot(db)
    for keep_id, duplicate_id in (
        (keep.id, keep.id),
        (keep.id, answered.id),
        (answered.id, keep.id),
        (keep.id, foreign.id),
    ):
        with pytest.raises(DomainError, match=r"^session\.question\.merge_invalid$"):
            await questions.merge(G, keep_id, duplicate_id)
    for guild_id, keep_id, duplicate_id in ((OTHER_G, keep.id, duplicate.id), (G, keep.id, 9999)):
        with pytest.raises(DomainError, match=r"^session\.question\.unknown$"):
            await questions.merge(guild_id, keep_id, duplicate_id)
    assert await snapshot(db) == before


async def test_carry_over_keeps_the_best_for_the_next_session(
    db: Database, questions: QuestionService, clock: FakeClock
) -> None:
    ended = await new_session(db, status="active")
    asked = [await questions.ask(G, ended, user, f"From {user}") for user in (ANA, BEN, CAM, DEV)]
    await questions.upvote(G, asked[3].id, ANA)
    await questions.upvote(G, asked[2].id, ANA)
    await questions.upvote(G, asked[2].id, BEN)
    answered = await questions.ask(G, ended, ANA, "Answered already")
    await questions.upvote(G, answered.id, BEN)
    await questions.upvote(G, answered.id, CAM)
    await questions.upvote(G, answered.id, DEV)
    assert (await questions.take_next(G, ended)) == await questions.get(G, answered.id)
    other_guild = await new_session(db, guild_id=OTHER_G)
    foreign = await questions.ask(OTHER_G, other_guild, ANA, "Elsewhere")
    await questions.carry_over(OTHER_G, other_guild)
    carried = await questions.carry_over(G, ended, top=2)
    assert [q.id for q in carried] == [asked[2].id, asked[3].id]
    assert all(q.session_id is None and q.status == "open" for q in carried)
    assert [q.votes for q in carried] == [2, 1]
    assert [q.id for q in await questions.ranked(G, None)] == [asked[2].id, asked[3].id]
    for dropped in asked[:2]:
        assert (await questions.get(G, dropped.id)).status == "skipped"
    kept = await questions.get(G, answered.id)
    assert (kept.status, kept.session_id) == ("answered", ended)
    assert await questions.ranked(G, ended) == []
    next_session = await new_session(db)
    assert await questions.adopt_backlog(G, next_session) == 2
    adopted = await questions.ranked(G, next_session)
    assert [(q.id, q.votes) for q in adopted] == [(asked[2].id, 2), (asked[3].id, 1)]
    assert await questions.ranked(G, None) == []
    assert await questions.adopt_backlog(G, next_session) == 0
    assert (await questions.get(OTHER_G, foreign.id)).session_id is None  # untouched


async def test_adopting_the_backlog_into_a_session_of_another_guild_is_refused(
    db: Database, questions: QuestionService
) -> None:
    ended = await new_session(db, status="active")
    await questions.ask(G, ended, ANA, "Carried")
    await questions.carry_over(G, ended)
    elsewhere = await new_session(db, guild_id=OTHER_G)
    before = await snapshot(db)
    with pytest.raises(DomainError, match=r"^session\.unknown$"):
        await questions.adopt_backlog(G, elsewhere)
    assert await snapshot(db) == before


async def test_export_lists_the_questions_and_the_votes_cast(
    db: Database, questions: QuestionService
) -> None:
    session = await new_session(db)
    own = await questions.ask(G, session, ANA, "Mine")
    theirs = await questions.ask(G, session, BEN, "Theirs")
    other = await questions.ask(G, session, CAM, "Another")
    await questions.upvote(G, theirs.id, ANA)
    await questions.upvote(G, other.id, ANA)
    await questions.take_next(G, session)
    exported = await questions.export_member(G, ANA)
    assert exported["votes_cast"] == 2
    assert exported["questions"] == [
        {
            "id": own.id,
            "session_id": session,
            "text": "Mine",
            "status": "open",
            "asked": True,
            "created_at": "2026-11-02T12:00:00+00:00",
        }
    ]
    assert await questions.export_member(G, DEV) == {}
    assert await questions.export_member(OTHER_G, ANA) == {}


async def test_forget_deletes_votes_credits_and_questions_only_they_asked(
    db: Database, questions: QuestionService, clock: FakeClock
) -> None:
    session = await new_session(db)
    alone = await questions.ask(G, session, ANA, "Only mine")
    shared = await questions.ask(G, session, ANA, "Mine, then merged")
    duplicate = await questions.ask(G, session, BEN, "Ben's duplicate")
    voted = await questions.ask(G, session, CAM, "Cam's")
    await questions.upvote(G, alone.id, DEV)
    await questions.upvote(G, shared.id, CAM)
    await questions.upvote(G, voted.id, ANA)
    await questions.merge(G, shared.id, duplicate.id)
    elsewhere = await questions.ask(OTHER_G, await new_session(db, guild_id=OTHER_G), ANA, "Kept")
    registry = PrivacyRegistry(db, clock)
    registry.register(questions)
    report = await registry.forget(G, ANA)
    # one vote, one credit on the shared question, one question
    assert report.deleted == {"session_questions": 3}
    with pytest.raises(DomainError, match=r"^session\.question\.unknown$"):
        await questions.get(G, alone.id)
    kept = await questions.get(G, shared.id)
    assert (kept.author_ids, kept.votes) == ((BEN,), 1)
    assert (await questions.get(G, voted.id)).votes == 0
    merged = await db.fetch_one(
        "SELECT merged_into FROM session_question WHERE id = ?", (duplicate.id,)
    )
    assert merged is not None
    assert merged["merged_into"] == shared.id
    assert await questions.export_member(G, ANA) == {}
    assert (await questions.get(OTHER_G, elsewhere.id)).author_ids == (ANA,)
    rows = await db.fetch_all("SELECT 1 FROM session_question WHERE author_id = ?", (ANA,))
    assert len(rows) == 1  # only the other guild's


async def test_forgetting_a_merge_target_detaches_its_duplicates(
    db: Database, questions: QuestionService, clock: FakeClock
) -> None:
    session = await new_session(db)
    keep = await questions.ask(G, session, ANA, "Keep")
    duplicate = await questions.ask(G, session, ANA, "Same, twice")
    await questions.merge(G, keep.id, duplicate.id)
    async with db.transaction() as tx:
        deleted = await questions.forget_member(tx, G, ANA)
    assert deleted == 2
    assert await count(db, "session_question") == 0
    assert await count(db, "session_question_author") == 0


async def test_carry_over_of_a_cancelled_session_keeps_every_open_question(
    db: Database, questions: QuestionService
) -> None:
    cancelled = await new_session(db)
    asked = [(await questions.ask(G, cancelled, u, f"From {u}")).id for u in (ANA, BEN, CAM, DEV)]
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE founder_session SET status = 'cancelled' WHERE id = ?", (cancelled,)
        )
    carried = await questions.carry_over(G, cancelled, top=None)
    assert sorted(q.id for q in carried) == sorted(asked)
    assert len(await questions.ranked(G, None)) == 4
