"""The one clock: every timestamp, TTL, delay, timeout and schedule in pyflare reads time from here.

A clock follows real time plus an offset that tests move with :meth:`Clock.advance`. A *manual* clock
does not follow real time at all: it stands still until advanced, which makes timed behaviour in tests
deterministic. Timers (``sleep``, ``call_at``) fire when the clock reaches them, whichever way it got there.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Clock", "Timer"]


@dataclass(order=True)
class Timer:
    """A callback due at a point on the clock; cancel it to stop it firing."""

    when: float
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class Clock:
    """Wall-clock time (seconds since the epoch) that can be advanced, with timers that honour it."""

    def __init__(self, *, manual: bool = False, start: float | None = None) -> None:
        self.manual = manual
        self._wall_at_start = time.time() if start is None else start
        self._mono_at_start = time.monotonic()
        self._offset = 0.0
        self._timers: list[Timer] = []
        self._seq = itertools.count()
        self._wakeup: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- reading ---------------------------------------------------------------------------------
    def time(self) -> float:
        """Seconds since the epoch, as a float."""
        if self.manual:
            return self._wall_at_start + self._offset
        return self._wall_at_start + (time.monotonic() - self._mono_at_start) + self._offset

    def time_ms(self) -> int:
        """Milliseconds since the epoch, as Cloudflare's APIs report timestamps."""
        return int(self.time() * 1000)

    # -- moving ----------------------------------------------------------------------------------
    def advance(self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0) -> None:
        """Move the clock forward and fire every timer that is now due, in order."""
        delta = seconds + 60 * minutes + 3600 * hours + 86400 * days
        if delta < 0:
            raise ValueError("the clock only moves forward")
        self._offset += delta
        self._fire_due()

    def set(self, when: float) -> None:
        """Move the clock forward to an absolute time (seconds since the epoch)."""
        self.advance(max(0.0, when - self.time()))

    # -- timers ----------------------------------------------------------------------------------
    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` (on the event loop) once the clock reaches ``when``."""
        timer = Timer(when, next(self._seq), callback)
        heapq.heappush(self._timers, timer)
        self._bind_loop()
        self._reschedule()
        return timer

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        return self.call_at(self.time() + delay, callback)

    async def sleep_until(self, when: float) -> None:
        if when <= self.time():
            await asyncio.sleep(0)
            return
        future = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not future.done():
                future.set_result(None)

        timer = self.call_at(when, wake)
        try:
            await future
        finally:
            timer.cancel()

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self.time() + max(0.0, seconds))

    def next_timer(self) -> float | None:
        """When the earliest pending timer is due, or None."""
        self._drop_cancelled()
        return self._timers[0].when if self._timers else None

    # -- internals -------------------------------------------------------------------------------
    def _bind_loop(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if loop is not self._loop:
            if self._wakeup is not None:
                self._wakeup.cancel()
                self._wakeup = None
            self._loop = loop

    def _drop_cancelled(self) -> None:
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)

    def _fire_due(self) -> None:
        now = self.time()
        while True:
            self._drop_cancelled()
            if not self._timers or self._timers[0].when > now:
                break
            timer = heapq.heappop(self._timers)
            timer.callback()
        self._reschedule()

    def _reschedule(self) -> None:
        """Keep one real-time wake-up armed for the earliest timer (not needed on a manual clock)."""
        if self._wakeup is not None:
            self._wakeup.cancel()
            self._wakeup = None
        self._drop_cancelled()
        if self.manual or not self._timers or self._loop is None or self._loop.is_closed():
            return
        delay = max(0.0, self._timers[0].when - self.time())
        self._wakeup = self._loop.call_later(delay, self._fire_due)
