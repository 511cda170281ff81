"""Firing the worker's ``scheduled()`` handler on its ``[triggers] crons`` schedule, on pyflare's clock.

Each cron is a timer at its next firing time (:class:`~pyflare.runtime.crons.CronTimers`). When the clock
reaches it the handler runs once for that time (``controller.scheduledTime`` is the scheduled minute, not the
moment it ran). If the clock jumps past several firing times at once (``mf.clock.advance(hours=1)`` in a
test), each of them runs once, in order, each with its own ``scheduledTime``. Every run is logged on one
line: cron, scheduled time, outcome, duration.
"""

from __future__ import annotations

import logging
from typing import Any

from pyflare.config.cron import CronSchedule
from pyflare.runtime.crons import CronTimers, iso_minute
from pyflare.runtime.plugin import Platform, Plugin

log = logging.getLogger("pyflare")


class CronPlugin(Plugin):
    """Runs every configured cron on schedule while the worker is served."""

    def __init__(self, platform: Platform, schedules: list[CronSchedule]) -> None:
        self.platform = platform
        self.schedules = schedules
        self.timers = CronTimers(platform.clock, platform.spawn, self._run)
        self.runs: list[dict[str, Any]] = []  # outcome of every run so far (newest last), for tests and tools

    @property
    def running(self) -> bool:
        return self.timers.running

    async def start(self) -> None:
        self.timers.start(self.schedules)

    async def close(self) -> None:
        self.timers.stop()

    def next_runs(self) -> dict[str, float]:
        """When each cron fires next (epoch seconds)."""
        return self.timers.next_runs()

    async def _run(self, schedule: CronSchedule, when: float) -> None:
        result = await self.platform.runtime.scheduled(cron=schedule.expression, scheduled_time=when)
        self.runs.append(dict(result))
        log.info("CRON %s at %s: %s (%.0fms)", schedule.expression, iso_minute(when), result.outcome,
                 result.get("duration_ms", 0.0))
