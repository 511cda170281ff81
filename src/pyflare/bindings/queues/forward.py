"""Queues whose consumer runs in another ``pyflare dev`` process: sending stays local and durable, delivery
crosses over.

``send()`` stores the message in this process's state, as for a local consumer, and returns. A forwarder then
leases what is stored for the queue and hands it to the process the dev registry names as the queue's
consumer, which stores it (keeping a message it already has once) before it answers; only then are the rows
deleted here. While no process consumes the queue, or the consumer is restarting, messages wait here and go
over when it is back: nothing acknowledged is dropped (Miniflare drops them; wrangler's docs say queued
messages need the consumer running). A delay still pending travels as the time left. A consumer that shares
this state folder reads the messages where they are: nothing is forwarded to it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyflare.bindings.queues.store import MessageStore, NewMessage
from pyflare.kernel.clock import Clock
from pyflare.peers import Peers, WorkerNotFound

log = logging.getLogger("pyflare")

BATCH = 100  # messages per hand-over


class Forwarder:
    """Hands one queue's stored messages to the process that consumes it."""

    def __init__(self, queue: str, store: MessageStore, peers: Peers, clock: Clock,
                 spawn: Callable[[Any, str], Any], owner: str, alive: Callable[[str], bool], state: Path) -> None:
        self.queue = queue
        self.store = store
        self.peers = peers
        self.clock = clock
        self.spawn = spawn
        self.owner = owner
        self.alive = alive
        self.state = str(state)
        self._leases = itertools.count(1)
        self._task: asyncio.Task[Any] | None = None
        self._again = False
        self.forwarded = 0

    def wake(self) -> None:
        """Look now: new messages, or the consumer came (back)."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._again = False
        self._task = self.spawn(self._run(), f'queue "{self.queue}" hand-over to its consumer')

    def start(self) -> None:
        self.store.release_leases(self.queue, self.alive)  # a hand-over cut short by a crash goes again
        self.wake()

    async def _run(self) -> None:
        while True:
            await self._forward_all()
            if not self._again:
                return
            self._again = False

    async def _forward_all(self) -> None:
        while True:
            consumer = self.peers.consumer_of(self.queue)
            if consumer is None or (consumer.state and consumer.state == self.state):
                return  # nobody to hand over to (they wait), or it reads these very rows
            rows = self.store.lease(self.queue, None, BATCH, next(self._leases), self.owner)
            if not rows:
                return
            now = self.clock.time()
            messages = [{"id": r.id, "timestamp_ms": r.timestamp_ms, "content_type": r.content_type, "body": r.body,
                         "delay": max(0.0, r.available_at - now), "attempts": r.failed_attempts} for r in rows]
            try:
                await self.peers.call(consumer.name, "queue", {"queue": self.queue, "messages": messages})
            except WorkerNotFound:
                await self.store.settle(acked=(), retried=(), dead=(),
                                        released=[(r.seq, r.available_at) for r in rows])
                return  # the registry says when it is back
            except Exception:
                await self.store.settle(acked=(), retried=(), dead=(),
                                        released=[(r.seq, r.available_at) for r in rows])
                raise
            await self.store.settle(acked=[r.seq for r in rows], retried=(), dead=())
            self.forwarded += len(rows)


async def accept(store: MessageStore, clock: Clock, queue: str, messages: list[dict[str, Any]]) -> int:
    """Store messages another process hands over for a queue consumed here; returns how many were new."""
    now = clock.time()
    rows = [(NewMessage(str(m["id"]), int(m["timestamp_ms"]), str(m["content_type"]), bytes(m["body"]),
                        now + float(m.get("delay") or 0)), int(m.get("attempts") or 0)) for m in messages]
    return await store.receive(queue, rows)
