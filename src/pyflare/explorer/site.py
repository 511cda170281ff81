"""What the explorer sees of a :class:`~pyflare.Pyflare`: its workers (config, env, running plugins, ASGI
app) and its object layer. ``Pyflare`` is one; the explorer never imports the composition root."""

from __future__ import annotations

from typing import Any, Protocol

from pyflare.config import ResolvedConfig
from pyflare.objects import ObjectLayer
from pyflare.observability import Observability

__all__ = ["Site", "SiteWorker"]


class SiteWorker(Protocol):
    """One worker of the site (``pyflare.instance.PyflareWorker``)."""

    @property
    def name(self) -> str: ...

    @property
    def config(self) -> ResolvedConfig: ...

    @property
    def env(self) -> Any: ...

    @property
    def asgi_app(self) -> Any: ...

    def plugin(self, kind: type) -> Any: ...


class Site(Protocol):
    """The workers of one Pyflare, by name, their object layer and their traces."""

    @property
    def workers(self) -> dict[str, Any]: ...

    @property
    def objects(self) -> ObjectLayer: ...

    @property
    def observability(self) -> Observability: ...
