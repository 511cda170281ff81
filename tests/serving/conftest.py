"""A real socket in front of a started Pyflare (``tests.conftest.serve_on_loopback``), and raw bytes through it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from tests.conftest import serve_on_loopback


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
    async with contextlib.AsyncExitStack() as stack:

        async def start(mf: Any, http: str = "httptools") -> Served:
            url = await stack.enter_async_context(
                serve_on_loopback(mf.asgi_app, http=http))
            return Served(int(url.rsplit(":", 1)[1]))

        yield start
