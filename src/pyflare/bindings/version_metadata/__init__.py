"""Version metadata: ``version_metadata = { binding = "CF_VERSION_METADATA" }`` gives ``env.CF_VERSION_METADATA``
with ``id``, ``tag`` and ``timestamp``, the version of the worker that is running.

On Cloudflare these describe the deployed version (``wrangler versions upload --tag``). Locally there is no
upload, so, as in Miniflare (packages/miniflare/src/plugins/version-metadata), each start of the worker is a
new version: a random UUID ``id``, an empty ``tag`` and the start time (on pyflare's clock) as ``timestamp``,
an ISO 8601 string in UTC with milliseconds, as JavaScript's ``Date.toISOString()`` writes it. A test that
needs fixed values puts its own in: ``Pyflare(bindings={"CF_VERSION_METADATA": ...})``.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from pyflare.runtime.plugin import Platform, Plugin

__all__ = ["VersionMetadataPlugin", "WorkerVersionMetadata", "create", "iso_timestamp"]


def iso_timestamp(seconds: float) -> str:
    """``seconds`` since the epoch as ``Date.prototype.toISOString()`` writes it: ``2026-05-01T12:00:00.000Z``."""
    moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class WorkerVersionMetadata:
    """``env.<binding>``: the running version's ``id``, ``tag`` and ``timestamp`` (read-only, as on Cloudflare)."""

    __slots__ = ("id", "tag", "timestamp")

    def __init__(self, version_id: str, tag: str, timestamp: str) -> None:
        object.__setattr__(self, "id", version_id)
        object.__setattr__(self, "tag", tag)
        object.__setattr__(self, "timestamp", timestamp)

    def __setattr__(self, name: str, value: Any) -> None:
        raise TypeError(f"Cannot assign to read only property '{name}' of object '#<Object>'")

    def to_py(self) -> dict[str, str]:
        """As Pyodide's ``JsProxy.to_py()``: a plain dict of the three fields."""
        return {"id": self.id, "tag": self.tag, "timestamp": self.timestamp}

    def __repr__(self) -> str:
        return f"<WorkerVersionMetadata id={self.id!r} tag={self.tag!r} timestamp={self.timestamp!r}>"


class VersionMetadataPlugin(Plugin):
    def __init__(self, platform: Platform, binding: str) -> None:
        self.binding = binding
        self.metadata = WorkerVersionMetadata(str(uuid.uuid4()), "", iso_timestamp(platform.clock.time()))

    def bindings(self) -> dict[str, Any]:
        return {self.binding: self.metadata}


def create(platform: Platform) -> VersionMetadataPlugin | None:
    declared = platform.config.worker.version_metadata
    return VersionMetadataPlugin(platform, declared.binding) if declared is not None else None
