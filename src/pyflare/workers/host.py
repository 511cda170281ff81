"""The SDK's side facing the platform: what pyflare's runtime and bindings use of the ``workers`` module
that worker code never does (worker code imports ``workers``; pyflare imports this).

- Keys of the worker-wide state the SDK reads from the running worker's stash (:mod:`pyflare.kernel.stash`):
  :data:`CACHES` (the Cache API behind ``js.caches``), :data:`OUTBOUND` (where ``fetch()`` goes),
  :data:`COMPATIBILITY` (the worker's compatibility date and flags, for the behaviours they select).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pyflare.kernel.stash import StashKey

__all__ = ["CACHES", "COMPATIBILITY", "OUTBOUND", "Compatibility", "OutboundRoute", "compatibility"]


class OutboundRoute(Protocol):
    """Where a worker's ``fetch()`` goes (``pyflare.runtime.outbound.Outbound``)."""

    def dispatch(self, request: Any) -> Awaitable[Any]: ...

    def client(self, request: Any) -> Any: ...


# The worker's Cache API (``caches.default``, ``caches.open()``), built on first use.
CACHES = StashKey[Callable[[], Any]]("caches")
# Tests route a worker's fetch() or turn the network off through it.
OUTBOUND = StashKey[OutboundRoute]("outbound")


@dataclass(frozen=True)
class Compatibility:
    """A worker's compatibility date and flags (None: no date given, so the newest behaviour)."""

    date: str | None = None
    flags: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, date: str | None, flags: Iterable[str]) -> Compatibility:
        return cls(date, frozenset(flags))

    def enabled(self, enable: str, disable: str, since: str | None) -> bool:
        """A behaviour on by its flag, off by its opposite flag, else on from its date (None: flag only)."""
        if enable in self.flags:
            return True
        if disable in self.flags:
            return False
        if since is None:
            return False
        return self.date is None or self.date >= since


COMPATIBILITY = StashKey[Compatibility]("compatibility")


def compatibility() -> Compatibility:
    """The compatibility settings of the worker whose code is running (the newest behaviour outside one)."""
    from pyflare.kernel.context import current_worker

    worker = current_worker.get()
    if worker is None:
        return _NEWEST
    return worker.stash.get(COMPATIBILITY, _NEWEST)


_NEWEST = Compatibility()
