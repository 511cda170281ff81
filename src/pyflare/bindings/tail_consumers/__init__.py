"""``tail_consumers = [{ service = "tail" }]``: the named worker's ``tail(self, events)`` handler receives this
worker's trace items, as Cloudflare's Tail Workers do.

Each time an event of this worker finishes, its tail workers get a list of trace items (Cloudflare's
``TraceItem``: ``scriptName``, ``outcome``, ``event``, ``logs``, ``exceptions``, ``eventTimestamp``...; dicts
with attribute access, as ``event.scriptName`` on a JS object): this worker's item first, then those of the
workers it called on the way (service bindings, Durable Objects), as Cloudflare includes sub-requests. The
tail worker runs in the same process (``pyflare dev -c producer/wrangler.toml -c tail/wrangler.toml``); its
own invocations are traced but never fed to tail workers (no loops). Delivery is background work: it never
slows the producer, and ``await mf.idle()`` waits for it.
"""

from __future__ import annotations

import logging
from typing import Any

from pyflare.kernel.jsdict import to_jsdict
from pyflare.kernel.tracing import Invocation
from pyflare.observability import OBSERVABILITY
from pyflare.observability.events import trace_item
from pyflare.runtime.plugin import Platform, Plugin
from pyflare.runtime.worker import HandlerMissing, WorkerLoadError

log = logging.getLogger("pyflare")


class TailConsumersPlugin(Plugin):
    """Feeds one worker's trace items to the tail workers its config names."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.services = [consumer.service for consumer in platform.config.worker.tail_consumers]
        self.targets: dict[str, Platform] = {}
        self._warned: set[str] = set()

    def check(self) -> None:
        self.targets.clear()
        for service in self.services:
            try:
                self.targets[service] = self.platform.resolve_worker(service)
            except LookupError:
                if service not in self._warned:
                    self._warned.add(service)
                    log.warning('tail_consumers of worker "%s": worker "%s" is not running in this pyflare, so it '
                                "receives nothing; run it too: pyflare dev -c %s -c path/to/%s/wrangler.toml",
                                self.platform.worker_name, service, self.platform.config.path, service)

    async def start(self) -> None:
        if not self.targets:
            self.check()
        self.platform.shared[OBSERVABILITY].recorder.listeners.append(self.deliver)

    async def close(self) -> None:
        listeners = self.platform.shared[OBSERVABILITY].recorder.listeners
        if self.deliver in listeners:
            listeners.remove(self.deliver)

    def deliver(self, group: list[Invocation]) -> None:
        """A finished group of invocations (see the recorder): the items this worker's tail workers get."""
        producer = self.platform.worker_name
        if group[0].tracer.worker == producer:
            items = [inv for inv in group if inv.trigger != "tail"]
        else:  # called by another worker: its own event only
            items = [inv for inv in group[1:] if inv.tracer.worker == producer and inv.trigger != "tail"][:1]
        if not items or not self.targets:
            return
        events = [trace_item(inv) for inv in items]
        for service, target in self.targets.items():
            self.platform.spawn(self._send(service, target, [to_jsdict(dict(e)) for e in events]),
                                f'tail worker "{service}"')

    async def _send(self, service: str, target: Platform, events: list[Any]) -> None:
        try:
            await target.runtime.tail(events)
        except HandlerMissing:
            if service not in self._warned:
                self._warned.add(service)
                log.error('tail worker "%s" has no tail handler: define async def tail(self, events) in its class '
                          "Default(WorkerEntrypoint)", service)
        except WorkerLoadError as exc:
            log.error('tail worker "%s" cannot be loaded, so it missed trace items: %s', service, exc)
        except Exception as exc:
            log.error('tail worker "%s" threw: %s: %s', service, type(exc).__name__, exc, exc_info=exc)


def create(platform: Platform) -> TailConsumersPlugin | None:
    return TailConsumersPlugin(platform) if platform.config.worker.tail_consumers else None
