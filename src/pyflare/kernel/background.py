"""Work that runs after a response (``waitUntil``) or beside requests (timers, consumers).

Every such task is tracked, so nothing is dropped silently: failures are logged, ``idle()`` waits for
all of it (tests use this), and shutdown waits for it before storage closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

log = logging.getLogger("pyflare")


class Background:
    """Tracks background tasks and logs their failures."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, awaitable: Awaitable[Any], what: str = "background task") -> asyncio.Task[Any]:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._done(t, what))
        return task

    def _done(self, task: asyncio.Task[Any], what: str) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("%s failed: %s: %s", what, type(error).__name__, error, exc_info=error)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def idle(self, rounds: int = 3) -> None:
        """Wait until no tracked task is left, letting woken timers start their work first."""
        while True:
            for _ in range(rounds):
                await asyncio.sleep(0)
            if not self._tasks:
                return
            await asyncio.wait(list(self._tasks))

    async def close(self, timeout: float = 30.0) -> None:
        """Let running work finish (up to ``timeout`` seconds), then cancel what is left."""
        if self._tasks:
            done, pending = await asyncio.wait(list(self._tasks), timeout=timeout)
            for task in pending:
                log.warning("cancelling background work still running after %.0fs at shutdown: %r", timeout, task)
                task.cancel()
            if pending:
                await asyncio.wait(pending)
