"""The queues plugin: producer bindings and consumers over one message store, plus what tests inspect."""

from __future__ import annotations

import asyncio
import datetime as _dt
from typing import Any

from pyflare.bindings.queues import serialization
from pyflare.bindings.queues.constants import JSON, JSON_DEFAULT_DATE, V8
from pyflare.bindings.queues.consumer import Consumer
from pyflare.bindings.queues.producer import Queue
from pyflare.bindings.queues.store import MessageStore
from pyflare.config import ConfigError
from pyflare.config.models import WorkerConfig
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.stash import StashKey
from pyflare.runtime.plugin import Platform, Plugin

# Every queue's consumer, whichever worker consumes it: queue name -> (worker name, consumer).
CONSUMERS = StashKey[dict[str, tuple[str, Consumer]]]("queue consumers")


def default_content_type(worker: WorkerConfig) -> str:
    """``json`` from compatibility date 2024-03-18 or with ``queues_json_messages``, else ``v8`` (as workerd)."""
    flags = set(worker.compatibility_flags)
    if "no_queues_json_messages" in flags:
        return V8
    if "queues_json_messages" in flags:
        return JSON
    date = worker.compatibility_date
    return JSON if date is None or date >= JSON_DEFAULT_DATE else V8


class QueuesPlugin(Plugin):
    """Every ``[[queues.producers]]`` binding and every ``[[queues.consumers]]`` of one worker."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        worker = platform.config.worker
        self.store = MessageStore(platform.storage.database("queues", "queues"))
        content_type = default_content_type(worker)
        self.producers = {
            p.binding: Queue(p.queue, self.store, platform.clock, self.notify,
                             delivery_delay=p.delivery_delay, default_content_type=content_type, binding=p.binding)
            for p in worker.queues.producers
        }
        self.consumers: dict[str, Consumer] = {}
        # Every worker of one pyflare registers its consumers here, so a queue produced in one worker
        # wakes the consumer in another.
        self.all_consumers: dict[str, tuple[str, Consumer]] = platform.shared.setdefault(CONSUMERS, {})
        for index, config in enumerate(worker.queues.consumers):
            if config.type == "http_pull":  # pulled over HTTP, never pushed to this worker
                continue
            where = f'{platform.config.path}: queues.consumers[{index}].queue: queue "{config.queue}"'
            if config.queue in self.consumers:
                raise ConfigError(f"{where} already has a consumer in this worker (a queue has one consumer)")
            if config.queue in self.all_consumers:
                raise ConfigError(f'{where} already has a consumer in worker "{self.all_consumers[config.queue][0]}" '
                                  "(a queue has one consumer)")
            consumer = Consumer(config, self.store, platform.clock, platform.runtime, platform.spawn, self.notify)
            self.consumers[config.queue] = consumer
            self.all_consumers[config.queue] = (platform.worker_name, consumer)

    def bindings(self) -> dict[str, Any]:
        return dict(self.producers)

    async def start(self) -> None:
        if not self.consumers:
            return
        if self._worker_attempted():
            self._start_consumers()
        else:
            # `pyflare dev` loads the worker right after starting the plugins; a CLI command on local state
            # never does, and must not deliver (or take over in-flight leases of a running server).
            self.platform.spawn(self._start_when_loaded(), "queue consumers")

    async def _start_when_loaded(self) -> None:
        await asyncio.sleep(0)
        if self._worker_attempted():
            self._start_consumers()

    def _worker_attempted(self) -> bool:
        runtime = self.platform.runtime
        return runtime.worker is not None or runtime.load_error is not None

    def _start_consumers(self) -> None:
        for consumer in self.consumers.values():
            consumer.start()

    async def close(self) -> None:
        for consumer in self.consumers.values():
            consumer.close()

    def notify(self, queue: str) -> None:
        """New messages for ``queue`` are stored: let its consumer (in whichever worker it is) look."""
        entry = self.all_consumers.get(queue)
        if entry is not None:
            entry[1].poke()

    # -- for tests and tools -------------------------------------------------------------------------
    def messages(self, queue: str) -> list[JsDict]:
        """Every message stored on ``queue`` (waiting, delayed or in flight), oldest first, decoded."""
        return [
            JsDict(
                id=row.id,
                timestamp=_dt.datetime.fromtimestamp(row.timestamp_ms / 1000, _dt.timezone.utc),
                body=serialization.decode(row.body, row.content_type),
                contentType=row.content_type,
                attempts=row.failed_attempts,
                availableAt=row.available_at,
            )
            for row in self.store.messages(queue)
        ]

    def busy(self) -> bool:
        """Is any batch in flight, or any message deliverable now?"""
        return any(c.in_flight or (c.running and c.ready_now()) for c in self.consumers.values())

    async def drain(self, *, max_rounds: int = 10_000) -> None:
        """Deliver everything deliverable now, partial batches included, until nothing is in flight or due.

        Messages whose delay (or retry delay) has not passed on the clock stay where they are.
        """
        background = self.platform.background
        for consumer in self.consumers.values():
            consumer.force = True
        try:
            for _ in range(max_rounds):
                for consumer in self.consumers.values():
                    consumer.poke()
                await background.idle()
                if not self.busy():
                    return
            raise RuntimeError(f"queues did not drain in {max_rounds} rounds (a consumer keeps retrying?)")
        finally:
            for consumer in self.consumers.values():
                consumer.force = False
