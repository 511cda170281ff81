"""A queue's consumer: gathers deliverable messages into batches, hands them to the worker, settles them.

A batch goes out when ``max_batch_size`` messages are deliverable, or ``max_batch_timeout`` seconds after the
oldest waiting one became deliverable (or after the previous batch left, whichever is later), with at most
``max_concurrency`` batches of the queue in flight. Every wait is a timer on pyflare's clock, so a manual
clock in tests makes it deterministic. Retries, the dead letter queue and the delay rules are Cloudflare's:
a message is tried ``1 + max_retries`` times; its retry delay is its own ``retry(delaySeconds=)``, else the
batch's ``retryAll(delaySeconds=)``, else the consumer's ``retry_delay``, else 0.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from pyflare.bindings.queues import serialization
from pyflare.bindings.queues.batch import BatchOutcome, Message, MessageBatch, decide
from pyflare.bindings.queues.constants import DEFAULT_MAX_CONCURRENCY, LOAD_ERROR_BACKOFF
from pyflare.bindings.queues.store import MessageStore, StoredMessage
from pyflare.config.models import QueueConsumer
from pyflare.kernel.clock import Clock, Timer
from pyflare.runtime.worker import WorkerLoadError
from pyflare.storage.sqlite import is_busy

log = logging.getLogger("pyflare")



def _timestamp(ms: int) -> _dt.datetime:
    """A message's timestamp as a Python worker gets the JavaScript Date: a naive datetime in UTC."""
    return _dt.datetime.fromtimestamp(ms / 1000, _dt.timezone.utc).replace(tzinfo=None)

class Consumer:
    """Delivers one queue's messages to this worker's ``queue()`` handler."""

    def __init__(
        self,
        config: QueueConsumer,
        store: MessageStore,
        clock: Clock,
        runtime: Any,
        spawn: Callable[[Any, str], Any],
        notify: Callable[[str], None],
        owner: str | None = None,
        alive: Callable[[str], bool] = lambda owner: True,
    ) -> None:
        self.queue = config.queue
        self.max_batch_size = config.max_batch_size
        self.max_batch_timeout = float(config.max_batch_timeout)
        self.max_retries = config.max_retries
        self.dead_letter_queue = config.dead_letter_queue or None
        self.retry_delay = config.retry_delay
        self.max_concurrency = config.max_concurrency or DEFAULT_MAX_CONCURRENCY
        self._store = store
        self._clock = clock
        self._runtime = runtime
        self._spawn = spawn
        self._notify = notify
        self._owner = owner  # this process's id in the state folder: its leases are its own
        self._alive = alive
        self._leases = itertools.count(1)
        self._timers: dict[str, tuple[float, Timer]] = {}
        self._window_floor = float("-inf")  # a batch window never starts before the previous batch left
        self._paused_until = float("-inf")  # set while the worker cannot be loaded
        self.in_flight = 0
        self.force = False  # deliver partial batches at once (the testing helpers' drain)
        self.running = False
        self.batches_delivered = 0

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        released = self._store.release_leases(self.queue, self._alive)
        if released:
            log.info('Queue "%s": %d message(s) in flight when pyflare last stopped will be delivered again',
                     self.queue, released)
        self.running = True
        self.poke()

    def release_orphans(self) -> None:
        """Messages another process leased and left by dying become deliverable (here, or by any consumer)."""
        released = self._store.release_leases(self.queue, self._alive)
        if released:
            log.info('Queue "%s": %d message(s) in flight in a pyflare process that stopped will be delivered again',
                     self.queue, released)
            self.poke()

    def close(self) -> None:
        self.running = False
        for _, timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    # -- scheduling --------------------------------------------------------------------------------
    def poke(self) -> None:
        """Look at the queue now: send out what is due and arm a timer for what will be."""
        if not self.running:
            return
        try:
            self._look()
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
            # Another process holds the write lock: look again shortly, without blocking the loop.
            self._spawn(self._look_when_free(), f'queue "{self.queue}" waiting for its database')

    async def _look_when_free(self) -> None:
        await self._store.db.run(self._look)

    def _look(self) -> None:
        now = self._clock.time()
        if now < self._paused_until:
            self._arm("pause", self._paused_until)
            return
        while self.in_flight < self.max_concurrency:
            ready = self._store.count_ready(self.queue, now, self.max_batch_size)
            if not ready:
                break
            if ready < self.max_batch_size and not self.force:
                oldest = self._store.earliest_ready(self.queue, now)
                due = max(oldest if oldest is not None else now, self._window_floor) + self.max_batch_timeout
                if due > now:
                    self._arm("flush", due)
                    break
            self._dispatch(now)
        upcoming = self._store.next_available(self.queue, now)
        if upcoming is not None:
            self._arm("wake", upcoming)

    def ready_now(self) -> int:
        """How many messages are deliverable at the clock's current time."""
        return self._store.count_ready(self.queue, self._clock.time(), self.max_batch_size)

    def _arm(self, kind: str, when: float) -> None:
        current = self._timers.get(kind)
        if current is not None:
            if current[0] == when and not current[1].cancelled:
                return
            current[1].cancel()

        def fire() -> None:
            self._timers.pop(kind, None)
            self.poke()

        self._timers[kind] = (when, self._clock.call_at(when, fire))

    # -- delivering --------------------------------------------------------------------------------
    def _dispatch(self, now: float) -> None:
        rows = self._store.lease(self.queue, now, self.max_batch_size, next(self._leases), self._owner)
        if not rows:
            return
        self.in_flight += 1
        self._window_floor = now
        self._spawn(self._deliver(rows), f'queue "{self.queue}" batch')

    async def _deliver(self, rows: list[StoredMessage]) -> None:
        try:
            await self._deliver_and_settle(rows)
        finally:
            self.in_flight -= 1
            self.poke()

    async def _deliver_and_settle(self, rows: list[StoredMessage]) -> None:
        outcome = BatchOutcome()
        failed = load_error = False
        started = time.perf_counter()
        try:
            messages = [
                Message(row.id, _timestamp(row.timestamp_ms),
                        serialization.decode(row.body, row.content_type), row.failed_attempts + 1, outcome)
                for row in rows
            ]
            await self._runtime.queue(MessageBatch(self.queue, messages, outcome))
        except WorkerLoadError as exc:
            load_error = True
            if self._paused_until == float("-inf"):
                log.warning('Queue "%s": not delivering while the worker cannot be loaded (%s)', self.queue, exc)
        except Exception as exc:
            failed = True
            log.error('Queue "%s" consumer threw: %s: %s', self.queue, type(exc).__name__, exc, exc_info=exc)
        elapsed_ms = (time.perf_counter() - started) * 1000
        now = self._clock.time()
        if load_error:
            self._paused_until = now + LOAD_ERROR_BACKOFF
            await self._store.settle(acked=(), retried=(), dead=(), released=[(r.seq, r.available_at) for r in rows])
            return
        self._paused_until = float("-inf")
        await self._settle(rows, outcome, failed, now, elapsed_ms)

    async def _settle(self, rows: list[StoredMessage], outcome: BatchOutcome, failed: bool, now: float,
                elapsed_ms: float) -> None:
        decisions = decide(outcome, [row.id for row in rows], failed)
        batch_delay = outcome.retry_all_delay
        acked: list[int] = []
        retried: list[tuple[int, float]] = []
        dead: list[tuple[int, str, float]] = []
        max_attempts = self.max_retries + 1
        plural = "" if max_attempts == 1 else "s"
        gave_up: list[str] = []  # warnings logged after the batch's own line, which they follow from
        retrying: list[str] = []
        for row in rows:
            retry, own_delay = decisions[row.id]
            if not retry:
                acked.append(row.seq)
                continue
            if row.failed_attempts + 1 < max_attempts:
                delay = next(d for d in (own_delay, batch_delay, self.retry_delay, 0) if d is not None)
                retried.append((row.seq, now + delay))
                # Miniflare's text (at debug level there); pyflare dev shows it, as it shows the dead letters.
                retrying.append(f'Retrying message "{row.id}" on queue "{self.queue}" '
                                f'{f"in {delay:g}s " if delay else ""}(attempt {row.failed_attempts + 2} of '
                                f"{max_attempts})...")
            elif self.dead_letter_queue:
                gave_up.append(f'Moving message "{row.id}" on queue "{self.queue}" to dead letter queue '
                               f'"{self.dead_letter_queue}" after {max_attempts} failed attempt{plural}...')
                dead.append((row.seq, self.dead_letter_queue, now))
            else:
                gave_up.append(f'Dropped message "{row.id}" on queue "{self.queue}" after {max_attempts} '
                               f'failed attempt{plural}!')
                dead.append((row.seq, "", now))
        await self._store.settle(acked=acked, retried=retried, dead=dead)
        self.batches_delivered += 1
        log.info("QUEUE %s %d/%d (%.0fms)", self.queue, len(acked), len(rows), elapsed_ms)
        for line in retrying:
            log.info(line)
        for warning in gave_up:
            log.warning(warning)
        if self.dead_letter_queue and any(d for _, d, _ in dead):
            self._notify(self.dead_letter_queue)
