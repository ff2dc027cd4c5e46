"""The feedback board on real SQLite: submit, upvote, status history, top, export, privacy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.db import Database
from bot.errors import DomainError
from bot.services.feedback.board import DETAILS_MAX, NOTE_MAX, TITLE_MAX, FeedbackBoard
from bot.services.privacy import PrivacyRegistry
from tests.conftest import FakeClock

G = 1
OTHER_G = 2
MOD = 10
ANA, BEN, CAM, DEV = 21, 22, 23, 24


@pytest.fixture
def board(db: Database, clock: FakeClock) -> FeedbackBoard:
    return FeedbackBoard(db, clock)


async def snapshot(db: Database) -> list[list[tuple[object, ...]]]:
    """Everything the service writes, to show a refusal changed nothing."""
    return [
        [tuple(row) for row in await db.fetch_all(f"SELECT * FROM {table} ORDER BY rowid")]
        for table in ("feedback_item", "feedback_vote", "feedback_status_change")
    ]


async def test_submit_cleans_the_fields_and_starts_new(
    board: FeedbackBoard, clock: FakeClock
) -> None:
    item = await board.submit(G, ANA, "  Boots\n", " Wider\n fit  ", "  More sizes please \n")
    assert (item.product, item.title, item.details) == ("Boots", "Wider fit", "More sizes please")
    assert (item.guild_id, item.author_id, item.status, item.votes, item.note) == (
        G,
        ANA,
        "new",
        0,
        None,
    )
    assert item.created_at == item.updated_at == clock.now
    assert item.channel_id is None and item.takes_votes
    posted = await board.set_post(item.id, 500, 501, 502)
    assert (posted.channel_id, posted.message_id, posted.thread_id) == (500, 501, 502)
    assert await board.get(G, item.id) == posted


@pytest.mark.parametrize(
    ("product", "title", "details", "key", "limit"),
    [
        ("", "Title", "", "feedback.product.empty", None),
        ("x" * 81, "Title", "", "feedback.product.too_long", 80),
        ("Boots", "  \n ", "", "feedback.title.empty", None),
        ("Boots", "t" * (TITLE_MAX + 1), "", "feedback.title.too_long", TITLE_MAX),
        ("Boots", "Title", "d" * (DETAILS_MAX + 1), "feedback.details.too_long", DETAILS_MAX),
    ],
)
async def test_bad_fields_are_refused_and_nothing_is_stored(
    db: Database,
    board: FeedbackBoard,
    product: str,
    title: str,
    details: str,
    key: str,
    limit: int | None,
) -> None:
    with pytest.raises(DomainError) as refused:
        await board.submit(G, ANA, product, title, details)
    assert refused.value.key == key
    assert refused.value.params.get("limit") == limit
    assert await snapshot(db) == [[], [], []]


async def test_limits_are_inclusive(board: FeedbackBoard) -> None:
    item = await board.submit(G, ANA, "p" * 80, "t" * TITLE_MAX, "d" * DETAILS_MAX)
    assert len(item.title) == TITLE_MAX and len(item.details) == DETAILS_MAX


async def test_upvote_toggles_and_refuses_own_other_guild_and_closed(
    db: Database, board: FeedbackBoard
) -> None:
    item = await board.submit(G, ANA, "Boots", "Wider fit", "")
    voted, added = await board.upvote(G, item.id, BEN)
    assert (voted.votes, added) == (1, True)
    voted, added = await board.upvote(G, item.id, CAM)
    assert (voted.votes, added) == (2, True)
    again, added = await board.upvote(G, item.id, BEN)  # a second press takes it back
    assert (again.votes, added) == (1, False)
    assert await board.voters(item.id) == [CAM]

    before = await snapshot(db)
    for guild, user, key in (
        (G, ANA, "feedback.upvote.own"),
        (OTHER_G, BEN, "feedback.unknown"),
    ):
        with pytest.raises(DomainError) as refused:
            await board.upvote(guild, item.id, user)
        assert refused.value.key == key
    with pytest.raises(DomainError) as unknown:
        await board.upvote(G, 9999, BEN)
    assert (unknown.value.key, unknown.value.params) == ("feedback.unknown", {"item": 9999})
    assert await snapshot(db) == before

    await board.set_status(G, item.id, MOD, "shipped")
    with pytest.raises(DomainError) as closed:
        await board.upvote(G, item.id, DEV)
    assert closed.value.key == "feedback.upvote.closed"
    reopened = await board.set_status(G, item.id, MOD, "in_progress")
    assert reopened.item.takes_votes
    assert (await board.upvote(G, item.id, DEV))[0].votes == 2


async def test_status_change_records_history_and_names_the_audience(
    db: Database, board: FeedbackBoard, clock: FakeClock
) -> None:
    item = await board.submit(G, ANA, "Boots", "Wider fit", "")
    await board.upvote(G, item.id, CAM)
    clock.advance(minutes=1)
    await board.upvote(G, item.id, BEN)
    await board.upvote(G, item.id, MOD)  # the moderator who moves it is not told
    clock.advance(hours=1)
    update = await board.set_status(G, item.id, MOD, "planned", "  Spring drop  ")
    assert update.previous == "new"
    assert update.audience == (ANA, CAM, BEN)
    assert (update.item.status, update.item.note, update.item.updated_at) == (
        "planned",
        "Spring drop",
        clock.now,
    )

    # The same status again is refused, unless a note makes it an update worth sending.
    before = await snapshot(db)
    with pytest.raises(DomainError) as same:
        await board.set_status(G, item.id, MOD, "planned")
    assert same.value.key == "feedback.status.unchanged"
    assert await snapshot(db) == before
    clock.advance(days=1)
    noted = await board.set_status(G, item.id, MOD, "planned", "Now in May")
    assert (noted.item.status, noted.item.note) == ("planned", "Now in May")
    clock.advance(days=1)
    later = await board.set_status(G, item.id, MOD, "in_progress")
    assert later.item.note is None  # the note belongs to the change it came with

    moved = await board.moved_since(G, clock.now - timedelta(days=1, hours=1))
    assert [(m.item_id, m.status, m.note, m.moderator_id, m.votes) for m in moved] == [
        (item.id, "planned", "Now in May", MOD, 3),
        (item.id, "in_progress", None, MOD, 3),
    ]
    assert moved[0].title == "Wider fit" and moved[0].product == "Boots"
    assert await board.moved_since(OTHER_G, clock.now - timedelta(days=30)) == []


async def test_status_change_refusals_change_nothing(db: Database, board: FeedbackBoard) -> None:
    item = await board.submit(G, ANA, "Boots", "Wider fit", "")
    before = await snapshot(db)
    cases = [
        ((G, item.id, MOD, "launched", None), "feedback.status.invalid"),
        ((G, item.id, MOD, "planned", "n" * (NOTE_MAX + 1)), "feedback.note.too_long"),
        ((OTHER_G, item.id, MOD, "planned", None), "feedback.unknown"),
        ((G, item.id + 1, MOD, "planned", None), "feedback.unknown"),
    ]
    for args, key in cases:
        with pytest.raises(DomainError) as refused:
            await board.set_status(*args)
        assert refused.value.key == key
    assert await snapshot(db) == before
    ok = await board.set_status(G, item.id, MOD, "planned", "n" * NOTE_MAX)
    assert ok.item.note == "n" * NOTE_MAX


async def test_top_ranks_by_votes_then_age_and_filters(
    board: FeedbackBoard, clock: FakeClock
) -> None:
    a = await board.submit(G, ANA, "Boots", "A", "")
    clock.advance(minutes=1)
    b = await board.submit(G, ANA, "boots", "B", "")
    clock.advance(minutes=1)
    c = await board.submit(G, ANA, "Belts", "C", "")
    await board.submit(OTHER_G, ANA, "Boots", "elsewhere", "")
    for voter in (BEN, CAM):
        await board.upvote(G, c.id, voter)
    await board.upvote(G, b.id, BEN)
    clock.advance(minutes=1)
    await board.set_status(G, b.id, MOD, "planned")

    assert [i.id for i in await board.top(G)] == [c.id, b.id, a.id]
    assert [i.id for i in await board.top(G, product="BOOTS")] == [b.id, a.id]
    assert [i.id for i in await board.top(G, status="planned")] == [b.id]
    assert await board.top(G, product="Boots", status="shipped") == []
    assert [i.id for i in await board.top(G, limit=1)] == [c.id]
    with pytest.raises(DomainError):
        await board.top(G, status="bogus")

    # Autocomplete helpers: recent first, searchable by word or number; products by use.
    assert [i.id for i in await board.recent(G)] == [b.id, c.id, a.id]
    assert [i.id for i in await board.recent(G, f"#{a.id}")] == [a.id]
    assert [i.id for i in await board.recent(G, "belt")] == [c.id]
    assert await board.products(G) == ["Boots", "Belts"]


async def test_export_lists_every_item_of_the_guild(board: FeedbackBoard) -> None:
    a = await board.submit(G, ANA, "Boots", "A", "")
    b = await board.submit(G, BEN, "Belts", "B", "")
    await board.submit(OTHER_G, ANA, "Boots", "elsewhere", "")
    assert [i.id for i in await board.export(G)] == [a.id, b.id]


async def test_withdraw_removes_an_unposted_item(board: FeedbackBoard) -> None:
    item = await board.submit(G, ANA, "Boots", "A", "")
    await board.withdraw(OTHER_G, item.id)  # another guild's id: nothing happens
    assert await board.get(G, item.id) == item
    await board.withdraw(G, item.id)
    with pytest.raises(DomainError):
        await board.get(G, item.id)


async def test_privacy_export_and_forget(db: Database, board: FeedbackBoard) -> None:
    privacy = PrivacyRegistry(db)
    privacy.register(board)
    mine = await board.submit(G, ANA, "Boots", "Mine", "details")
    theirs = await board.submit(G, BEN, "Boots", "Theirs", "")
    await board.upvote(G, mine.id, BEN)
    await board.upvote(G, theirs.id, ANA)
    await board.set_status(G, theirs.id, ANA, "planned", "by Ana as a moderator")

    exported = await board.export_member(G, ANA)
    assert [i["title"] for i in exported["items"]] == ["Mine"]  # type: ignore[index]
    assert [v["item_id"] for v in exported["upvotes"]] == [theirs.id]  # type: ignore[index]
    assert [c["note"] for c in exported["status_changes"]] == [  # type: ignore[index]
        "by Ana as a moderator"
    ]
    assert await board.export_member(OTHER_G, ANA) == {}

    report = await privacy.forget(G, ANA)
    assert report.deleted == {"feedback": 3}  # her vote, her item, her name on a change
    assert await board.export_member(G, ANA) == {}
    [left] = await board.export(G)
    assert (left.id, left.votes) == (theirs.id, 0)
    [change] = await board.moved_since(G, left.created_at)
    assert change.moderator_id == 0 and change.note == "by Ana as a moderator"
    assert await board.voters(mine.id) == []  # her item went with its votes


async def test_an_upvote_from_another_message_is_refused(
    board: FeedbackBoard, db: Database
) -> None:
    item = await board.submit(G, ANA, "Boots", "Wider fit", "")
    await board.set_post(item.id, 500, 501, None)
    before = await snapshot(db)
    with pytest.raises(DomainError) as refused:
        await board.upvote(G, item.id, BEN, via_message=999)
    assert refused.value.key == "feedback.button.invalid"
    assert await snapshot(db) == before
    voted, added = await board.upvote(G, item.id, BEN, via_message=501)
    assert added and voted.votes == 1
