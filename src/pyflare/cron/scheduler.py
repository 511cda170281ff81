"""Firing the worker's ``scheduled()`` handler on its ``[triggers] crons`` schedule, on pyflare's clock.

Each cron is a timer at its next firing time. When the clock reaches it the handler runs once for that time
(``controller.scheduledTime`` is the scheduled minute, not the moment it ran). If the clock jumps past several
firing times at once (``mf.clock.advance(hours=1)`` in a test), each of them runs once, in order, each with
its own ``scheduledTime``. Every run is logged on one line: cron, scheduled time, outcome, duration.
"""

from __future__ import annotations

import datetime as _dt
import logging
from typing import Any

from pyflare.config.cron import CronSchedule
from pyflare.kernel.clock import Timer
from pyflare.runtime.plugin import Platform, Plugin

log = logging.getLogger("pyflare")


def _iso(when: float) -> str:
    return _dt.datetime.fromtimestamp(when, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class CronPlugin(Plugin):
    """Runs every configured cron on schedule while the worker is served."""

    def __init__(self, platform: Platform, schedules: list[CronSchedule]) -> None:
        self.platform = platform
        self.schedules = schedules
        self._timers: dict[str, Timer] = {}
        self.running = False
        self.runs: list[dict[str, Any]] = []  # outcome of every run so far (newest last), for tests and tools

    async def start(self) -> None:
        self.running = True
        now = self.platform.clock.time()
        for schedule in self.schedules:
            self._arm(schedule, now)

    async def close(self) -> None:
        self.running = False
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def next_runs(self) -> dict[str, float]:
        """When each cron fires next (epoch seconds)."""
        now = self.platform.clock.time()
        return {s.expression: s.next_after(now) for s in self.schedules}

    def _arm(self, schedule: CronSchedule, after: float) -> None:
        when = schedule.next_after(after)
        self._timers[schedule.expression] = self.platform.clock.call_at(when, lambda: self._fire(schedule, when))

    def _fire(self, schedule: CronSchedule, when: float) -> None:
        if not self.running:
            return
        times = [when, *schedule.times_between(when, self.platform.clock.time())]
        self._arm(schedule, times[-1])
        self.platform.spawn(self._run_all(schedule, times), f'cron "{schedule.expression}"')

    async def _run_all(self, schedule: CronSchedule, times: list[float]) -> None:
        for when in times:
            result = await self.platform.runtime.scheduled(cron=schedule.expression, scheduled_time=when)
            self.runs.append(dict(result))
            log.info("CRON %s at %s: %s (%.0fms)", schedule.expression, _iso(when), result.outcome,
                     result.get("duration_ms", 0.0))
