"""The services plugin: one :class:`ServiceBinding` per ``[[services]]`` entry, and the start-up check that
every target worker and named entrypoint exists."""

from __future__ import annotations

from typing import Any

from pyflare.bindings.services.binding import ServiceBinding
from pyflare.bindings.services.validation import is_named_entrypoint, no_such_entrypoint, no_such_service
from pyflare.peers import PEERS
from pyflare.runtime.plugin import Platform, Plugin


class ServicesPlugin(Plugin):
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.configs = list(platform.config.worker.services)
        self.bindings_by_name = {c.binding: ServiceBinding(platform, c) for c in self.configs}

    def bindings(self) -> dict[str, Any]:
        return dict(self.bindings_by_name)

    def check(self) -> None:
        own = self.platform
        peers = own.shared.get(PEERS, None)
        for config in self.configs:
            try:
                target = own.resolve_worker(config.service)
            except LookupError:
                if peers is not None and peers.registry_enabled:
                    continue  # another pyflare process may serve it: [not connected] until it does
                raise no_such_service(own.config.path, own.worker_name, config.binding, config.service) from None
            worker = target.runtime.worker
            if config.entrypoint not in (None, "", "default") and worker is not None and not is_named_entrypoint(worker.exports, config.entrypoint):
                raise no_such_entrypoint(own.config.path, own.worker_name, config.binding, config.service,
                                         config.entrypoint)
