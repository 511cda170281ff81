"""Bindings that only exist on Cloudflare's network (Workers AI, Browser Rendering, Images...).

pyflare cannot run them offline, but a worker that declares one still finds it in ``env``: any use raises
an error that names the binding and says it needs Cloudflare, instead of an ``AttributeError`` about a
missing name. Tests put a fake in its place with ``Pyflare(bindings={"AI": fake})`` or the marker
``@pytest.mark.pyflare(bindings={...})``.
"""

from __future__ import annotations

from typing import Any

from pyflare.config.bindings import describe_bindings
from pyflare.runtime.plugin import Platform, Plugin

# Config keys of bindings whose service runs only on Cloudflare (wrangler dev proxies them remotely).
CLOUDFLARE_ONLY = {
    "ai": "Workers AI",
    "browser": "Browser Rendering",
    "images": "Images",
    "analytics_engine_datasets": "Analytics Engine",
    "mtls_certificates": "mTLS certificates",
    "dispatch_namespaces": "Workers for Platforms dispatch namespaces",
    "pipelines": "Pipelines",
    "hyperdrive": "Hyperdrive",
    "secrets_store_secrets": "Secrets Store",
    "ai_search": "AI Search",
    "vpc_services": "VPC services",
    "media": "Media Transformations",
}


class NeedsCloudflareError(RuntimeError):
    """A binding pyflare cannot emulate offline was used."""


class CloudflareOnlyBinding:
    """Stands in ``env`` for a binding that needs Cloudflare; every use says so."""

    needs_cloudflare = True  # the start-up banner shows such a binding as "needs Cloudflare"

    def __init__(self, name: str, service: str, key: str) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_service", service)
        object.__setattr__(self, "_key", key)

    def _error(self, what: str) -> NeedsCloudflareError:
        return NeedsCloudflareError(
            f"env.{self._name}.{what}: the {self._service} binding {self._name!r} ({self._key}) needs "
            "Cloudflare's network and pyflare cannot emulate it offline. Run against Cloudflare "
            "(wrangler dev --remote, or deploy), or give tests a fake: Pyflare(bindings={"
            f"{self._name!r}: fake}}) or @pytest.mark.pyflare(bindings={{{self._name!r}: fake}})."
        )

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "needs_cloudflare":
            raise AttributeError(name)
        raise self._error(name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise self._error(name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise self._error("__call__")

    def __repr__(self) -> str:
        return f"<{self._service} binding {self._name} (needs Cloudflare)>"


class OfflinePlugin(Plugin):
    def __init__(self, platform: Platform) -> None:
        self.placeholders = {
            d.name: CloudflareOnlyBinding(d.name, CLOUDFLARE_ONLY[d.key.split(".")[0]], d.key)
            for d in describe_bindings(platform.config.worker) if d.key.split(".")[0] in CLOUDFLARE_ONLY
        }

    def bindings(self) -> dict[str, Any]:
        return dict(self.placeholders)


def uses_cloudflare_only(worker: Any) -> bool:
    return any(getattr(worker, key, None) or (worker.model_extra or {}).get(key) for key in CLOUDFLARE_ONLY)


def create(platform: Platform) -> OfflinePlugin | None:
    plugin = OfflinePlugin(platform)
    return plugin if plugin.placeholders else None
