"""Hyperdrive, locally: ``[[hyperdrive]] binding, id, localConnectionString`` gives ``env.<binding>`` with the
connection fields a worker hands its database driver (``connectionString``, ``host``, ``port``, ``user``,
``password``, ``database``), pointing at a real local Postgres or MySQL.

On Cloudflare the fields lead to Hyperdrive's pooler, which holds the connection to the origin; locally
(as in wrangler dev and Miniflare's node bindings, packages/miniflare/src/plugins/hyperdrive) they are the
local database's own, so the worker's driver connects straight to it. The connection string comes from the
``CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_<BINDING>`` environment variable when it is set and not empty
(the deprecated ``WRANGLER_HYPERDRIVE_LOCAL_CONNECTION_STRING_<BINDING>`` too, with wrangler's warning), else
from ``localConnectionString``; without either the worker does not start, with wrangler's text
(packages/wrangler/src/dev.ts ``applyHyperdriveEnvVars``). Bad strings get Miniflare's messages.
Layout: ``connection`` (parsing and the texts), this module (the binding and the plugin).
"""

from __future__ import annotations

import os
from typing import Any

from pyflare.bindings.hyperdrive.connection import (
    DEPRECATED_PREFIX,
    ENV_PREFIX,
    HyperdriveConfigError,
    LocalConnection,
    missing_text,
    parse_connection_string,
)
from pyflare.config import ConfigError
from pyflare.runtime.plugin import Platform, Plugin

__all__ = ["Hyperdrive", "HyperdriveConfigError", "HyperdrivePlugin", "LocalConnection", "create",
           "local_connection_string", "parse_connection_string"]


def local_connection_string(binding: str, configured: str | None, environ: dict[str, str] | None = None,
                            warn: Any = None) -> str | None:
    """The binding's local connection string: the environment variable wins when it is set and not empty."""
    environ = os.environ if environ is None else environ
    for prefix in (ENV_PREFIX, DEPRECATED_PREFIX):
        value = environ.get(prefix + binding)
        if value:
            if prefix == DEPRECATED_PREFIX and warn is not None:
                warn(f'Using "{DEPRECATED_PREFIX}<BINDING_NAME>" environment variable. This is deprecated. '
                     f'Please use "{ENV_PREFIX}<BINDING_NAME>" instead.')
            return value
    return configured


class Hyperdrive:
    """``env.<binding>``: where the worker's database driver connects (read-only, as on Cloudflare)."""

    def __init__(self, binding: str, config_id: str, connection_string: str | None) -> None:
        self._binding = binding
        self._id = config_id
        self._connection_string = connection_string
        self._parsed: LocalConnection | None = None

    def _connection(self) -> LocalConnection:
        if self._parsed is None:
            if self._connection_string is None:
                raise HyperdriveConfigError(missing_text(self._binding))
            self._parsed = parse_connection_string(self._connection_string, self._binding)
        return self._parsed

    @property
    def connectionString(self) -> str:  # noqa: N802 - Cloudflare's name
        return self._connection().connection_string

    @property
    def host(self) -> str:
        return self._connection().host

    @property
    def port(self) -> int:
        return self._connection().port

    @property
    def user(self) -> str:
        return self._connection().user

    @property
    def password(self) -> str:
        return self._connection().password

    @property
    def database(self) -> str:
        return self._connection().database

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_"):
            raise TypeError(f"Cannot assign to read only property '{name}' of object '#<Hyperdrive>'")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        target = "no local connection string"
        if self._connection_string is not None:
            try:
                c = self._connection()
                target = f"{c.scheme}://{c.user}@{c.host}:{c.port}/{c.database}"
            except HyperdriveConfigError as exc:
                target = str(exc)
        return f"<Hyperdrive {self._binding} ({self._id}) -> {target}>"


class HyperdrivePlugin(Plugin):
    """The Hyperdrive configs of one worker."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.hyperdrives = {
            entry.binding: Hyperdrive(entry.binding, entry.id,
                                      local_connection_string(entry.binding, entry.localConnectionString,
                                                              warn=platform.log.warning))
            for entry in platform.config.worker.hyperdrive
        }

    def bindings(self) -> dict[str, Any]:
        return dict(self.hyperdrives)

    def check(self) -> None:
        """A worker that will run needs every connection string, and a valid one (wrangler refuses to start)."""
        for hyperdrive in self.hyperdrives.values():
            try:
                hyperdrive._connection()
            except HyperdriveConfigError as exc:
                raise ConfigError(f"{self.platform.config.path}: {exc}") from None


def create(platform: Platform) -> HyperdrivePlugin | None:
    return HyperdrivePlugin(platform) if platform.config.worker.hyperdrive else None
