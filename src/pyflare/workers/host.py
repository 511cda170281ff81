"""The SDK's side facing the platform: what pyflare's runtime and bindings use of the ``workers`` module
that worker code never does (worker code imports ``workers``; pyflare imports this module, never the
SDK's private ``_`` modules).

- Building and taking apart SDK objects without the checks worker-facing constructors make (the runtime
  has checked already): :func:`trusted_request` (a Request from a parsed ASGI request),
  :func:`take_body` (a body handed over to its sender), :func:`header_items`, :func:`blob_data`.
- Types the platform names: :data:`HeadersInit`, :data:`Body`, :class:`BodyMixin` (what a Request or a
  Response is made of), :class:`WorkflowStep` (the ``step`` a workflow's ``run`` receives).
- Keys of the worker-wide state the SDK reads from the running worker's stash (:mod:`pyflare.kernel.stash`):
  :data:`CACHES` (the Cache API behind ``js.caches``), :data:`OUTBOUND` (where ``fetch()`` goes),
  :data:`COMPATIBILITY` (the worker's compatibility date and flags, for the behaviours they select).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.stash import StashKey
from pyflare.workers._body import Body, BodyMixin
from pyflare.workers._context import AccessContext
from pyflare.workers._formdata import Blob
from pyflare.workers._headers import Headers, HeadersInit
from pyflare.workers._request import Request
from pyflare.workers._workflow_step import WorkflowStep

__all__ = ["ACCESS", "CACHES", "COMPATIBILITY", "OUTBOUND", "AccessContext", "Body", "BodyMixin", "Compatibility",
           "HeadersInit", "OutboundRoute", "WorkflowStep", "blob_data", "compatibility", "header_items", "replayable",
           "trusted_request", "take_body"]


def trusted_request(url: str, method: str, headers: list[tuple[str, str]], body: Body, cf: JsDict) -> Request:
    """The Request the runtime hands to a worker, from what it has parsed and checked already: ``headers`` as
    (lower-case name, value) pairs, in order."""
    trusted = Headers.__new__(Headers)
    trusted._items = headers
    return Request._incoming(url, method, trusted, body, cf)


def take_body(message: BodyMixin) -> Body:
    """Hand a Request's or Response's body over to whoever sends it on (marks it used)."""
    return message._take()


def has_body(message: BodyMixin) -> bool:
    return message._body is not None


def replayable(message: BodyMixin) -> bool:
    """Can the body be cloned and sent again (no body, or bytes), unlike a stream being received?"""
    return message._body is None or isinstance(message._body, bytes)


def header_items(headers: Headers) -> list[tuple[str, str]]:
    """The (lower-case name, value) pairs of ``headers``, in order (not a copy: do not change it)."""
    return headers._items


def blob_data(blob: Blob) -> bytes:
    """A Blob's bytes, synchronously."""
    return blob._data


class OutboundRoute(Protocol):
    """Where a worker's ``fetch()`` goes (``pyflare.runtime.outbound.Outbound``)."""

    def dispatch(self, request: Any) -> Awaitable[Any]: ...

    def client(self, request: Any) -> Any: ...


# The worker's Cache API (``caches.default``, ``caches.open()``), built on first use.
CACHES = StashKey[Callable[[], Any]]("caches")
# Tests route a worker's fetch() or turn the network off through it.
OUTBOUND = StashKey[OutboundRoute]("outbound")
# The Cloudflare Access application in front of the worker ([access.dev]): each request's ctx.access.
ACCESS = StashKey[Any]("access")


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
