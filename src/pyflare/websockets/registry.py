"""A worker's WebSocket state: the settings its sockets follow and its live connections.

One :class:`WorkerSockets` per worker, created and closed with the worker's runtime (which keeps it in its
stash under :data:`SOCKETS`, where a socket made by the worker's code finds it through the worker context).
Its :class:`Settings` come from the worker's compatibility date and flags; its connections are every
incoming upgrade and outgoing socket still open, closed with 1012 when the runtime closes (as uvicorn does
when ``pyflare dev`` stops).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Protocol

from pyflare.kernel.context import current_worker
from pyflare.kernel.stash import StashKey
from pyflare.websockets import constants as c
from pyflare.websockets.validation import compat_enabled

__all__ = ["DEFAULT_SETTINGS", "SHUTDOWN_GRACE_SECONDS", "SOCKETS", "Connection", "Settings", "WorkerSockets",
           "current_sockets"]

# How long closing waits for clients to answer the closing handshake.
SHUTDOWN_GRACE_SECONDS = 2.0


class Settings:
    """Per-worker behaviour chosen by compatibility date/flags."""

    __slots__ = ("auto_reply_to_close", "close_reason_limit")

    def __init__(self, auto_reply_to_close: bool = True, close_reason_limit: bool = True) -> None:
        self.auto_reply_to_close = auto_reply_to_close
        self.close_reason_limit = close_reason_limit

    @classmethod
    def of(cls, date: str | None, flags: Iterable[str]) -> Settings:
        flags = list(flags)
        return cls(
            auto_reply_to_close=compat_enabled(date, flags, "web_socket_auto_reply_to_close",
                                               "web_socket_manual_reply_to_close", c.AUTO_REPLY_TO_CLOSE_DATE),
            close_reason_limit=compat_enabled(date, flags, "websocket_close_reason_byte_limit",
                                              "no_websocket_close_reason_byte_limit", c.CLOSE_REASON_LIMIT_DATE),
        )


DEFAULT_SETTINGS = Settings()


class Connection(Protocol):
    """A live connection (an incoming upgrade, an outgoing socket) as the registry closes it."""

    def shutdown(self, code: int, reason: str) -> None: ...

    async def finished(self) -> None: ...


class WorkerSockets:
    """The live connections of one worker, and the settings its sockets follow."""

    def __init__(self, settings: Settings = DEFAULT_SETTINGS) -> None:
        self.settings = settings
        self.connections: set[Connection] = set()
        self.closing = False

    def add(self, connection: Connection) -> None:
        self.connections.add(connection)

    def discard(self, connection: Connection) -> None:
        self.connections.discard(connection)

    async def close(self) -> None:
        """Close every connection with 1012 (Service Restart) and wait a little for the clients' answers."""
        self.closing = True
        for _ in range(3):  # frames already on their way (close() delivers on a later turn) go first
            await asyncio.sleep(0)
        connections = list(self.connections)
        for connection in connections:
            connection.shutdown(c.SERVICE_RESTART, "")
        waits: list[Any] = [asyncio.ensure_future(connection.finished()) for connection in connections]
        if waits:
            _, pending = await asyncio.wait(waits, timeout=SHUTDOWN_GRACE_SECONDS)
            for task in pending:
                task.cancel()


# Where a worker's runtime keeps its WorkerSockets.
SOCKETS = StashKey[WorkerSockets]("WebSockets")


def current_sockets() -> WorkerSockets | None:
    """The WebSocket state of the worker whose code runs in this task, if any."""
    worker = current_worker.get()
    return worker.stash.get(SOCKETS, None) if worker is not None else None
