"""A loopback listener for a pyflare that ``pyflare dev`` does not serve (a test session or a script with a
persist folder), so that other processes sharing its state folder can reach the Durable Objects it hosts.

It serves the same ASGI app on ``127.0.0.1`` on a port the OS picks; pyflare's own endpoints there answer only
calls that carry this process's token (:mod:`pyflare.peers.transport`), everything else is the worker as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any


class LoopbackListener:
    """uvicorn on 127.0.0.1:<free port>, in this event loop, until :meth:`stop`."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.url = ""
        self._server: Any = None
        self._task: asyncio.Task[Any] | None = None
        self._socket: socket.socket | None = None

    async def start(self) -> str:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        self._socket = sock
        config = uvicorn.Config(self.app, lifespan="off", access_log=False, log_level="warning",
                                server_header=False, date_header=False)
        server = self._server = uvicorn.Server(config)
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign] - the host program owns them
        self._task = asyncio.ensure_future(server.serve(sockets=[sock]))
        while not server.started and not self._task.done():
            await asyncio.sleep(0.002)
        if self._task.done():
            self._task.result()  # raises what stopped it
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 5)
        if self._socket is not None:
            self._socket.close()
