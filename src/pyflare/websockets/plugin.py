"""Per worker: the compatibility settings sockets follow, and the live connections to close on shutdown."""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from pyflare.runtime.plugin import Platform, Plugin
from pyflare.websockets import constants as c
from pyflare.websockets.socket import Settings, settings_by_env
from pyflare.websockets.validation import compat_enabled

log = logging.getLogger("pyflare")

# The plugin of each running worker, by its runtime (the ASGI app knows its runtime).
_by_runtime: weakref.WeakKeyDictionary[Any, WebSocketPlugin] = weakref.WeakKeyDictionary()
_by_env: dict[int, WebSocketPlugin] = {}

# How long shutdown waits for clients to answer the closing handshake.
SHUTDOWN_GRACE_SECONDS = 2.0


def settings_for(worker: Any) -> Settings:
    date, flags = worker.compatibility_date, worker.compatibility_flags
    return Settings(
        auto_reply_to_close=compat_enabled(date, flags, "web_socket_auto_reply_to_close",
                                           "web_socket_manual_reply_to_close", c.AUTO_REPLY_TO_CLOSE_DATE),
        close_reason_limit=compat_enabled(date, flags, "websocket_close_reason_byte_limit",
                                          "no_websocket_close_reason_byte_limit", c.CLOSE_REASON_LIMIT_DATE),
    )


class WebSocketPlugin(Plugin):
    """Tracks every live connection of one worker (incoming upgrades and outgoing sockets)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.settings = settings_for(platform.config.worker)
        self.connections: set[Any] = set()
        self.closing = False
        env = platform.runtime.env
        settings_by_env[id(env)] = self.settings
        _by_env[id(env)] = self
        _by_runtime[platform.runtime] = self

    async def start(self) -> None:
        from pyflare.websockets.hibernation import install

        install(self.platform.objects)

    async def close(self) -> None:
        """Close every connection with 1012 (Service Restart), as uvicorn does when ``pyflare dev`` stops."""
        self.closing = True
        for _ in range(3):  # frames already on their way (close() delivers on a later turn) go first
            await asyncio.sleep(0)
        connections = list(self.connections)
        for connection in connections:
            connection.shutdown(c.SERVICE_RESTART, "")
        waits = [connection.finished() for connection in connections]
        if waits:
            done, pending = await asyncio.wait([asyncio.ensure_future(w) for w in waits],
                                               timeout=SHUTDOWN_GRACE_SECONDS)
            for task in pending:
                task.cancel()
        env = self.platform.runtime.env
        settings_by_env.pop(id(env), None)
        _by_env.pop(id(env), None)


def plugin_for_runtime(runtime: Any) -> WebSocketPlugin | None:
    return _by_runtime.get(runtime)


def plugin_for_env(env: Any) -> WebSocketPlugin | None:
    return _by_env.get(id(env))


def create(platform: Platform) -> WebSocketPlugin:
    return WebSocketPlugin(platform)
