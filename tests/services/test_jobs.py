"""Durable jobs and the runner, on a real database with a hand-moved clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.db import Database
from bot.migrate import migrate
from bot.scheduler import MAX_ATTEMPTS, JobRunner
from bot.services.jobs import Job, JobQueue
from tests.conftest import FakeClock


@pytest.fixture
def queue(db: Database, clock: FakeClock) -> JobQueue:
    return JobQueue(db, clock)


async def test_schedule_again_replaces_the_job(queue: JobQueue, clock: FakeClock) -> None:
    await queue.schedule("remind", "k", clock.now + timedelta(hours=1), payload={"n": 1})
    await queue.schedule("remind", "k", clock.now + timedelta(hours=2), payload={"n": 2})
    (job,) = await queue.pending()
    assert job.due_at == clock.now + timedelta(hours=2)
    assert dict(job.payload) == {"n": 2}


async def test_claim_takes_only_due_jobs_of_known_kinds_once(
    queue: JobQueue, clock: FakeClock
) -> None:
    await queue.schedule("a", "late", clock.now + timedelta(minutes=5))
    await queue.schedule("a", "due", clock.now - timedelta(minutes=1), guild_id=9)
    await queue.schedule("b", "other-kind", clock.now - timedelta(minutes=1))
    claimed = await queue.claim_due(["a"])
    assert [(j.key, j.guild_id) for j in claimed] == [("due", 9)]
    assert await queue.claim_due(["a"]) == []
    assert await queue.next_due(["a"]) == clock.now + timedelta(minutes=5)
    assert [j.key for j in await queue.pending()] == ["other-kind", "late"]


async def test_cancel(queue: JobQueue, clock: FakeClock) -> None:
    await queue.schedule("a", "k", clock.now)
    assert await queue.cancel("a", "k")
    assert not await queue.cancel("a", "k")
    assert await queue.pending() == []


async def test_scheduling_inside_a_failed_unit_of_work_leaves_no_timer(
    queue: JobQueue, db: Database, clock: FakeClock
) -> None:
    async def unit() -> None:
        async with db.transaction():
            await queue.schedule("a", "k", clock.now)
            raise RuntimeError("the record failed, so the timer must go too")

    with pytest.raises(RuntimeError):
        await unit()
    assert await queue.pending() == []


class Recorder:
    def __init__(self, fail_times: int = 0) -> None:
        self.seen: list[Job] = []
        self.fail_times = fail_times
        self.event = asyncio.Event()

    async def __call__(self, job: Job) -> None:
        self.seen.append(job)
        self.event.set()
        if len(self.seen) <= self.fail_times:
            raise RuntimeError("handler failed")


async def test_runner_fires_due_jobs_and_wakes_when_poked(
    queue: JobQueue, clock: FakeClock
) -> None:
    runner = JobRunner(queue, clock, max_sleep=30)
    recorder = Recorder()
    runner.register("remind", recorder)
    await queue.schedule("remind", "later", clock.now + timedelta(hours=1))
    runner.start()
    try:
        clock.advance(hours=1)
        runner.poke()
        await asyncio.wait_for(recorder.event.wait(), 5)
        await runner.drain()
    finally:
        await runner.stop()
    assert [j.key for j in recorder.seen] == ["later"]
    assert await queue.pending() == []


async def test_failing_handler_is_retried_with_backoff_then_dropped(
    queue: JobQueue, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    runner = JobRunner(queue, clock)
    recorder = Recorder(fail_times=MAX_ATTEMPTS)
    runner.register("flaky", recorder)
    await queue.schedule("flaky", "k", clock.now)
    for attempt in range(MAX_ATTEMPTS):
        assert await runner.run_due() == 1
        await runner.drain()
        pending = await queue.pending()
        if attempt < MAX_ATTEMPTS - 1:
            assert pending[0].attempts == attempt + 1
            assert pending[0].due_at == clock.now + timedelta(seconds=30 * 2**attempt)
            assert await runner.run_due() == 0  # not before its backoff
            clock.now = pending[0].due_at
    assert await queue.pending() == []
    assert len(recorder.seen) == MAX_ATTEMPTS
    assert "dropped" in caplog.text


async def test_jobs_survive_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "jobs.db"
    first = Database(path)
    await first.open()
    await migrate(first)
    await JobQueue(first, clock).schedule("remind", "k", clock.now + timedelta(minutes=10))
    await first.close()

    clock.advance(hours=2)  # the bot was down when the job fell due
    second = Database(path)
    await second.open()
    try:
        runner = JobRunner(JobQueue(second, clock), clock)
        recorder = Recorder()
        runner.register("remind", recorder)
        runner.start()
        await asyncio.wait_for(recorder.event.wait(), 5)
        await runner.stop()
        assert [j.key for j in recorder.seen] == ["k"]
    finally:
        await second.close()


def test_a_kind_registers_once(queue: JobQueue) -> None:
    runner = JobRunner(queue)
    runner.register("a", Recorder())
    with pytest.raises(ValueError, match="registered twice"):
        runner.register("a", Recorder())
