"""The SDK's side facing the platform: what pyflare's runtime and bindings use of the ``workers`` module
that worker code never does (worker code imports ``workers``; pyflare imports this).

- Keys of the worker-wide state the SDK reads from the running worker's stash (:mod:`pyflare.kernel.stash`):
  :data:`CACHES` (the Cache API behind ``js.caches``), :data:`OUTBOUND` (where ``fetch()`` goes).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from pyflare.kernel.stash import StashKey

__all__ = ["CACHES", "OUTBOUND", "OutboundRoute"]


class OutboundRoute(Protocol):
    """Where a worker's ``fetch()`` goes (``pyflare.runtime.outbound.Outbound``)."""

    def dispatch(self, request: Any) -> Awaitable[Any]: ...

    def client(self, request: Any) -> Any: ...


# The worker's Cache API (``caches.default``, ``caches.open()``), built on first use.
CACHES = StashKey[Callable[[], Any]]("caches")
# Tests route a worker's fetch() or turn the network off through it.
OUTBOUND = StashKey[OutboundRoute]("outbound")
