"""The queues plugin: producer bindings and consumers over one message store, plus what tests inspect."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import sqlite3
from typing import Any

from pyflare.bindings.queues import serialization
from pyflare.bindings.queues.constants import JSON, JSON_DEFAULT_DATE, V8
from pyflare.bindings.queues.consumer import Consumer
from pyflare.bindings.queues.forward import Forwarder, accept
from pyflare.bindings.queues.producer import Queue
from pyflare.bindings.queues.store import MessageStore
from pyflare.config import ConfigError
from pyflare.config.models import WorkerConfig
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.stash import StashKey
from pyflare.peers import PEERS, Peers
from pyflare.runtime.plugin import Platform, Plugin
from pyflare.storage.sqlite import is_busy

# How often a consumer over a shared state folder looks for messages other processes stored (real seconds), and
# every how many looks it checks for leases left by a process that died.
SHARED_POLL_SECONDS = 0.05
ORPHAN_CHECK_ROUNDS = 20

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
            consumer = Consumer(config, self.store, platform.clock, platform.runtime, platform.spawn, self.notify,
                                owner=platform.storage.announce_presence(), alive=platform.storage.alive)
            self.consumers[config.queue] = consumer
            self.all_consumers[config.queue] = (platform.worker_name, consumer)
        # Other pyflare processes: they hand over messages for the queues consumed here, and queues consumed by
        # one of them get a forwarder (pyflare.bindings.queues.forward).
        self.peers: Peers | None = platform.shared.get(PEERS, None)
        self.forwarders: dict[str, Forwarder] = {}
        self._watcher: asyncio.Task[None] | None = None
        if self.peers is not None:
            for queue in self.consumers:
                self.peers.queues[queue] = lambda messages, queue=queue: self._accept(queue, messages)
            if self.peers.registry_enabled:
                for producer in worker.queues.producers:
                    if producer.queue not in self.all_consumers and producer.queue not in self.forwarders:
                        self.forwarders[producer.queue] = Forwarder(
                            producer.queue, self.store, self.peers, platform.clock, platform.spawn,
                            platform.storage.announce_presence(), platform.storage.alive, platform.storage.root)
                if self.forwarders:
                    self.peers.on_change(lambda previous, current: self._registry_changed())
        for producer_binding in self.producers.values():
            producer_binding.banner_mode_of = self._producer_mode

    def bindings(self) -> dict[str, Any]:
        return dict(self.producers)

    async def start(self) -> None:
        for forwarder in self.forwarders.values():
            forwarder.start()
        if self.consumers and self.platform.storage.persistent:
            # Other processes sharing the state folder (pyflare dev, the CLI, a test session) store messages
            # too: look when the file changed, and take over what a process that died had in flight.
            self._watcher = asyncio.ensure_future(self._watch_shared_state())
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
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        for consumer in self.consumers.values():
            consumer.close()

    def notify(self, queue: str) -> None:
        """New messages for ``queue`` are stored: let its consumer (in whichever worker it is) look, or hand
        them to the process that consumes it."""
        entry = self.all_consumers.get(queue)
        if entry is not None:
            entry[1].poke()
            return
        forwarder = self.forwarders.get(queue)
        if forwarder is not None:
            forwarder.wake()

    # -- other processes --------------------------------------------------------------------------------
    async def _accept(self, queue: str, messages: list[dict[str, Any]]) -> int:
        added = await accept(self.store, self.platform.clock, queue, messages)
        self.notify(queue)
        return added

    def _registry_changed(self) -> None:
        for forwarder in self.forwarders.values():
            forwarder.wake()

    def _producer_mode(self, queue: str) -> str:
        """The banner's Mode of a producer: for a queue consumed by another process, whether it runs now."""
        if queue in self.all_consumers or queue not in self.forwarders or self.peers is None:
            return "local"
        return "local [connected]" if self.peers.consumer_of(queue) is not None else "local [not connected]"

    async def _watch_shared_state(self) -> None:
        db = self.store.db
        version = db.one("PRAGMA data_version")
        rounds = 0
        while True:
            await asyncio.sleep(SHARED_POLL_SECONDS)  # real time: inter-process plumbing, not emulated time
            rounds += 1
            try:
                now = db.one("PRAGMA data_version")
                if now != version:  # another connection (process) committed
                    version = now
                    for consumer in self.consumers.values():
                        consumer.poke()
                if rounds % ORPHAN_CHECK_ROUNDS == 0:
                    for consumer in self.consumers.values():
                        consumer.release_orphans()
            except sqlite3.OperationalError as exc:
                if not is_busy(exc):
                    raise

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
