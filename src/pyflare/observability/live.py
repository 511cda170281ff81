"""Live tails: clients of ``pyflare tail`` subscribed to the finished invocations of some workers.

:class:`LiveTail` is a recorder listener; each :class:`Subscription` gets the trace items of its workers that
pass its filters, in a bounded queue: a client that stops reading loses the oldest items, not the server
its memory, and is told how many it missed (wrangler tail's overload notice).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from pyflare.kernel.tracing import Invocation
from pyflare.observability.events import trace_item
from pyflare.observability.tail import matches

QUEUE_SIZE = 1000


class Subscription:
    """One tail client: the workers it follows (None: all), its API filters and its queue of items."""

    def __init__(self, owner: LiveTail, workers: Iterable[str] | None, filters: list[dict[str, Any]]) -> None:
        self.owner = owner
        self.workers = set(workers) if workers is not None else None
        self.filters = filters
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE_SIZE)
        self.missed = 0

    def wants(self, worker: str) -> bool:
        return self.workers is None or worker in self.workers

    def offer(self, item: dict[str, Any]) -> None:
        if not matches(self.filters, item):
            return
        if self.queue.full():
            self.queue.get_nowait()
            self.missed += 1
        self.queue.put_nowait(item)

    async def next(self) -> dict[str, Any] | None:
        """The next item (None once the tail closed)."""
        return await self.queue.get()

    def close(self) -> None:
        self.owner.unsubscribe(self)


class LiveTail:
    """Hands finished invocations, as trace items, to the subscriptions that follow their worker."""

    def __init__(self, listeners: list[Any] | None = None) -> None:
        self.subscriptions: set[Subscription] = set()
        # The recorder's listeners: joined only while a tail is attached, so events cost nothing more without one.
        self._listeners = listeners

    def subscribe(self, workers: Iterable[str] | None, filters: list[dict[str, Any]]) -> Subscription:
        subscription = Subscription(self, workers, filters)
        self.subscriptions.add(subscription)
        if self._listeners is not None and self not in self._listeners:
            self._listeners.append(self)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.subscriptions.discard(subscription)
        if not self.subscriptions and self._listeners is not None and self in self._listeners:
            self._listeners.remove(self)

    def __call__(self, group: list[Invocation]) -> None:
        if not self.subscriptions:
            return
        for inv in group:
            item: dict[str, Any] | None = None
            for subscription in list(self.subscriptions):
                if subscription.wants(inv.tracer.worker):
                    item = item or trace_item(inv)
                    subscription.offer(item)

    def close(self) -> None:
        """End every subscription (the pyflare is closing)."""
        for subscription in list(self.subscriptions):
            if subscription.queue.full():
                subscription.queue.get_nowait()
            subscription.queue.put_nowait(None)
        self.subscriptions.clear()
        if self._listeners is not None and self in self._listeners:
            self._listeners.remove(self)
