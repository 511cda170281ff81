"""A real socket in front of a started Pyflare: uvicorn serving ``mf.asgi_app`` on the test's own loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import uvicorn


class Served:
    def __init__(self, port: int) -> None:
        self.port = port

    async def raw(self, data: bytes, *, read: bool = True) -> bytes:
        """Send ``data`` on a fresh connection, close our side, and return what the server answered."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(data)
        await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        answer = await asyncio.wait_for(reader.read(), 10) if read else b""
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return answer


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Any]]:
    """``await serve(mf, http="httptools")`` -> a :class:`Served` socket server for that Pyflare."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None], socket.socket]] = []

    async def start(mf: Any, http: str = "httptools") -> Served:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        config = uvicorn.Config(mf.asgi_app, http=http, lifespan="off", access_log=False, log_level="warning",
                                h11_max_incomplete_event_size=256 * 1024)
        server = uvicorn.Server(config)
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.001)
        servers.append((server, task, sock))
        return Served(sock.getsockname()[1])

    yield start
    for server, task, sock in servers:
        # uvicorn polls should_exit every 0.1 s; cancelling its main loop and shutting down is immediate
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await server.shutdown()
        sock.close()
