"""Runs due jobs from the JobQueue: one loop, re-armed at startup, woken when a job is added.

Handlers are registered by kind (cogs register theirs in `cog_load`). A job is claimed before its
handler runs, so it runs at most once; a handler that raises is retried with backoff a few times.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.services.clock import Clock, utcnow
from bot.services.jobs import Job, JobQueue

log = logging.getLogger(__name__)

Handler = Callable[[Job], Awaitable[None]]
MAX_ATTEMPTS = 5


class JobRunner:
    """The loop that fires due jobs."""

    def __init__(self, queue: JobQueue, clock: Clock = utcnow, *, max_sleep: float = 60.0) -> None:
        self._queue = queue
        self._clock = clock
        self._max_sleep = max_sleep
        self._handlers: dict[str, Handler] = {}
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._stopping = False

    def register(self, kind: str, handler: Handler) -> None:
        """Run `handler` for jobs of this kind."""
        if kind in self._handlers:
            raise ValueError(f"job kind {kind!r} registered twice")
        self._handlers[kind] = handler
        self.poke()

    def unregister(self, kind: str) -> None:
        """Stop running jobs of this kind (they stay in the database)."""
        self._handlers.pop(kind, None)

    def poke(self) -> None:
        """Look at the queue now (call after scheduling a job sooner than the next one)."""
        self._wake.set()

    @property
    def started(self) -> bool:
        """Whether the loop runs."""
        return self._loop_task is not None and not self._loop_task.done()

    def start(self) -> None:
        """Start the loop (idempotent); jobs that fell due while the bot was down run now."""
        if not self.started:
            self._stopping = False
            self._loop_task = asyncio.create_task(self._run(), name="vouch-job-runner")

    async def stop(self) -> None:
        """Stop the loop and wait for running handlers."""
        self._stopping = True
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        if self._running:
            await asyncio.wait(self._running)

    async def run_due(self) -> int:
        """Claim and start every due job now; returns how many started."""
        jobs = await self._queue.claim_due(list(self._handlers))
        for job in jobs:
            task = asyncio.create_task(self._execute(job), name=f"vouch-job-{job.kind}")
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return len(jobs)

    async def drain(self) -> None:
        """Wait for the handlers started so far (for tests and shutdown)."""
        if self._running:
            await asyncio.wait(set(self._running))

    async def _run(self) -> None:
        # `_stopping` as well as the cancellation: a wake-up racing the cancel must not keep the
        # loop alive (asyncio.timeout, unlike 3.11's wait_for, never swallows a cancellation).
        while not self._stopping:
            self._wake.clear()
            try:
                while await self.run_due():
                    pass
                next_due = await self._queue.next_due(list(self._handlers))
            except Exception:
                log.exception("job runner failed to read the queue; retrying")
                next_due = None
            delay = self._max_sleep
            if next_due is not None:
                delay = min(delay, max(0.0, (next_due - self._clock()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    async def _execute(self, job: Job) -> None:
        handler = self._handlers.get(job.kind)
        if handler is None:  # unregistered meanwhile: put it back untouched
            await self._queue.retry(job, job.due_at)
            return
        try:
            await handler(job)
        except Exception:
            if job.attempts + 1 >= MAX_ATTEMPTS:
                log.exception("job %s/%s failed %d times; dropped", job.kind, job.key, MAX_ATTEMPTS)
                return
            backoff = timedelta(seconds=30 * 2**job.attempts)
            log.exception("job %s/%s failed; retrying in %s", job.kind, job.key, backoff)
            await self._queue.retry(job, self._clock() + backoff)
            self.poke()
