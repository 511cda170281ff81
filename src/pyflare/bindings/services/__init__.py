"""Service bindings (``[[services]]``): ``await env.SVC.fetch(...)`` and RPC ``await env.SVC.method(...)`` into
another worker of the same pyflare (or this one), its default export or a named ``WorkerEntrypoint``.

Calls stay in-process, as on Cloudflare where they never touch the network. Arguments and results follow
the Python RPC type rules of :mod:`pyflare.workers.rpc` (the same rules as Durable Object stubs). Module map:
``constants`` (reserved names), ``validation`` (target checks with workerd's texts), ``entrypoints`` (calling
into a worker's entrypoint: fetch and methods), ``binding`` (what the caller's env holds), ``plugin``.
"""

from __future__ import annotations

from pyflare.bindings.services.binding import ServiceBinding
from pyflare.bindings.services.plugin import ServicesPlugin
from pyflare.runtime.plugin import Platform


def create(platform: Platform) -> ServicesPlugin | None:
    if not platform.config.worker.services:
        return None
    return ServicesPlugin(platform)


__all__ = ["ServiceBinding", "ServicesPlugin", "create"]
