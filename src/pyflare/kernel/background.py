"""Work that runs after a response (``waitUntil``) or beside requests (timers, consumers, workflow runs).

Every such task is tracked, so nothing is dropped silently: failures are logged, ``idle()`` waits for
all of it (tests use this), and shutdown waits for it before storage closes.

A task may be *parked*: alive but waiting for something only the clock or another event brings (a workflow
instance sleeping, or waiting for an event or a retry delay). ``idle()`` does not wait for parked tasks, and
a parked task that wakes up (the clock was advanced) counts again: ``clock.advance(...)`` then ``idle()``
waits for the work the woken task does until it parks again or ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("pyflare")

_RECHECK = 0.05  # seconds idle() waits before looking again at tasks that may have parked


class Background:
    """Tracks background tasks and logs their failures."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        # Tasks that can park, and the test saying whether they are parked now.
        self._parkable: dict[asyncio.Task[Any], Callable[[], bool]] = {}
        self._wake: asyncio.Future[None] | None = None

    def spawn(self, awaitable: Awaitable[Any], what: str = "background task", *,
              parked: Callable[[], bool] | None = None) -> asyncio.Task[Any]:
        """Run ``awaitable`` as a tracked task; ``parked()`` says when it waits on the clock or an event
        (call :meth:`changed` when that answer may have changed)."""
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        if parked is not None:
            self._parkable[task] = parked
        task.add_done_callback(lambda t: self._done(t, what))
        return task

    def _done(self, task: asyncio.Task[Any], what: str) -> None:
        self._tasks.discard(task)
        self._parkable.pop(task, None)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("%s failed: %s: %s", what, type(error).__name__, error, exc_info=error)

    def changed(self) -> None:
        """A parkable task parked or woke up: let ``idle()`` look again."""
        wake, self._wake = self._wake, None
        if wake is not None and not wake.done():
            wake.set_result(None)

    def _parked(self, task: asyncio.Task[Any]) -> bool:
        parked = self._parkable.get(task)
        return parked is not None and parked()

    def busy(self) -> list[asyncio.Task[Any]]:
        """The tracked tasks that are running or waiting for other work (not parked)."""
        return [task for task in self._tasks if not self._parked(task)]

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def idle(self, rounds: int = 3) -> None:
        """Wait until every tracked task has finished or parked, letting woken timers start their work first."""
        while True:
            for _ in range(rounds):
                await asyncio.sleep(0)
            busy = self.busy()
            if not busy:
                return
            if any(task in self._parkable for task in busy):
                # A busy task may park without finishing: wake up when one says so (changed()), or look again
                # shortly in case a task parked without saying (real time: this is plumbing, not emulation).
                if self._wake is None or self._wake.done():
                    self._wake = asyncio.get_running_loop().create_future()
                await asyncio.wait([*busy, self._wake], timeout=_RECHECK, return_when=asyncio.FIRST_COMPLETED)
            else:
                await asyncio.wait(busy)

    async def close(self, timeout: float = 30.0) -> None:
        """Let running work finish (up to ``timeout`` seconds), then cancel what is left of it. Parked tasks
        are left to their owners (a workflow engine stops its runs when its plugin closes)."""
        busy = self.busy()
        if busy:
            done, pending = await asyncio.wait(busy, timeout=timeout)
            for task in pending:
                log.warning("cancelling background work still running after %.0fs at shutdown: %r", timeout, task)
                task.cancel()
            if pending:
                await asyncio.wait(pending)

    async def cancel_all(self) -> None:
        """Cancel whatever is still tracked (parked tasks whose owners are gone) and wait for it to stop."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
