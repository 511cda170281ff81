"""Firing callbacks on cron schedules, on pyflare's clock: what the cron trigger plugin and workflows with
``schedules`` share.

Each schedule is a timer at its next firing time. When the clock reaches it the callback runs once for that
time (the scheduled minute, not the moment it ran). If the clock jumps past several firing times at once
(``mf.clock.advance(hours=1)`` in a test), the callback gets each of them, in order.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pyflare.config.cron import CronSchedule
from pyflare.kernel.clock import Clock, Timer

Fire = Callable[[CronSchedule, float], Awaitable[Any]]


def iso_minute(when: float) -> str:
    """A firing time as the log lines show it (UTC, to the second)."""
    return _dt.datetime.fromtimestamp(when, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class CronTimers:
    """Runs ``fire(schedule, when)`` for every due time of each schedule while started."""

    def __init__(self, clock: Clock, spawn: Callable[[Awaitable[Any], str], Any], fire: Fire) -> None:
        self.clock = clock
        self.spawn = spawn
        self.fire = fire
        self.schedules: list[CronSchedule] = []
        self._timers: dict[str, Timer] = {}
        self.running = False

    def start(self, schedules: Sequence[CronSchedule]) -> None:
        self.schedules = list(schedules)
        self.running = True
        now = self.clock.time()
        for schedule in self.schedules:
            self._arm(schedule, now)

    def stop(self) -> None:
        self.running = False
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def next_runs(self) -> dict[str, float]:
        """When each schedule fires next (epoch seconds)."""
        now = self.clock.time()
        return {s.expression: s.next_after(now) for s in self.schedules}

    def _arm(self, schedule: CronSchedule, after: float) -> None:
        when = schedule.next_after(after)
        self._timers[schedule.expression] = self.clock.call_at(when, lambda: self._due(schedule, when))

    def _due(self, schedule: CronSchedule, when: float) -> None:
        if not self.running:
            return
        times = [when, *schedule.times_between(when, self.clock.time())]
        self._arm(schedule, times[-1])
        self.spawn(self._run_all(schedule, times), f'cron "{schedule.expression}"')

    async def _run_all(self, schedule: CronSchedule, times: list[float]) -> None:
        for when in times:
            await self.fire(schedule, when)
