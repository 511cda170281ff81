"""ReadableStream: the one kind of streamed body a Response or Request accepts, as on Cloudflare.

Cloudflare's Python Response takes str, bytes, FormData, None or a JS ReadableStream (say another
response's ``.body``); a Python generator is refused there, so pyflare refuses it too. Every stream pyflare
hands to a worker (request and response bodies, fetch() responses, R2 and KV streams) is one of these.

:class:`StreamChannel` is the writable side Python code streams a body through (what a ``TransformStream``
is to Cloudflare's ``workers.asgi``): ``await write(chunk)`` waits while a chunk is still unread
(backpressure), and a reader that cancels (the client went away) makes the next write fail.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any

from pyflare.kernel.jserrors import JsException


class ReadableStream:
    """An async iterator of bytes that can be read once.

    ``length`` is the total number of bytes when known in advance (an R2 object's body): a Response with
    such a body is sent with Content-Length, as Cloudflare sends it, instead of chunked. ``finished`` turns
    true once the last chunk has been read.
    """

    length: int | None = None
    finished: bool = False

    def __init__(self, source: AsyncIterable[bytes] | None = None) -> None:
        self._source = source
        self._iterator: AsyncIterator[bytes] | None = None
        self.disturbed = False

    @classmethod
    def of(cls, data: bytes) -> ReadableStream:
        async def one() -> AsyncIterator[bytes]:
            if data:
                yield data

        return cls(one())

    @property
    def locked(self) -> bool:
        return self.disturbed

    def __aiter__(self) -> ReadableStream:
        return self

    async def __anext__(self) -> bytes:
        self.disturbed = True
        if self._iterator is None:
            if self._source is None:
                self.finished = True
                raise StopAsyncIteration
            self._iterator = aiter(self._source)
        try:
            return await anext(self._iterator)
        except StopAsyncIteration:
            self.finished = True
            raise

    async def read_all(self) -> bytes:
        return b"".join([chunk async for chunk in self])

    async def cancel(self, reason: Any = None) -> None:
        """Stop reading: the source is told (a writer's next write fails) and the rest is dropped."""
        self.disturbed = True
        source = self._iterator if self._iterator is not None else self._source
        if isinstance(source, _ChannelReader):
            source.cancel(reason)
            return
        close = getattr(source, "aclose", None)
        if close is not None:
            try:
                await close()
            except RuntimeError:  # an async generator that is running right now: it stops at its next step
                pass

    async def aclose(self) -> None:
        await self.cancel()


class StreamCancelled(JsException):
    """A write to a :class:`StreamChannel` whose reader cancelled (e.g. the client disconnected)."""


class StreamChannel:
    """Chunks written by Python code, read once as :attr:`readable`.

    As with the writer of a ``TransformStream``, at most ``high_water_mark`` chunks wait unread: ``write``
    returns once its chunk is queued and waits while the queue is full. ``close()`` ends the stream after
    the queued chunks; ``abort(exc)`` makes the reader fail with ``exc``; when the reader cancels, queued
    chunks are dropped, every later ``write`` raises :class:`StreamCancelled` and ``on_cancel`` is called.
    """

    def __init__(self, high_water_mark: int = 1, on_cancel: Callable[[], Any] | None = None) -> None:
        self._high_water_mark = max(1, high_water_mark)
        self._on_cancel = on_cancel
        self._chunks: deque[bytes] = deque()
        self._closed = False
        self._error: BaseException | None = None
        self._cancelled: StreamCancelled | None = None
        self._has_data = asyncio.Event()  # a chunk, the end, or an error is waiting for the reader
        self._has_room = asyncio.Event()  # the writer may queue another chunk
        self._has_room.set()
        self.readable = ReadableStream(_ChannelReader(self))

    @property
    def cancelled(self) -> bool:
        return self._cancelled is not None

    @property
    def closed(self) -> bool:
        return self._closed or self._error is not None

    async def write(self, chunk: bytes) -> None:
        while True:
            if self._cancelled is not None:
                raise self._cancelled
            if self.closed:
                raise TypeError("This WritableStream has been closed.")
            if len(self._chunks) < self._high_water_mark:
                break
            self._has_room.clear()
            await self._has_room.wait()
        if chunk:
            self._chunks.append(bytes(chunk))
            self._has_data.set()

    def close(self) -> None:
        """End the stream once the queued chunks are read (closing twice is harmless)."""
        self._closed = True
        self._has_data.set()

    def abort(self, error: BaseException) -> None:
        """Fail the reader with ``error`` (after nothing: queued chunks are dropped)."""
        if self._error is None and not self._closed:
            self._error = error
            self._chunks.clear()
        self._has_data.set()

    def _cancel(self, reason: Any = None) -> None:
        first = self._cancelled is None
        if first:
            message = str(reason) if reason is not None else "The stream was cancelled by its reader."
            self._cancelled = StreamCancelled(message)
        self._chunks.clear()
        self._has_room.set()
        self._has_data.set()
        if first and self._on_cancel is not None:
            self._on_cancel()

    async def _read(self) -> bytes | None:
        """The next chunk, or None at the end."""
        while True:
            if self._chunks:
                chunk = self._chunks.popleft()
                self._has_room.set()
                return chunk
            if self._cancelled is not None or self._closed:
                return None
            if self._error is not None:
                raise self._error
            self._has_data.clear()
            await self._has_data.wait()


class _ChannelReader:
    """The async iterator behind ``StreamChannel.readable``."""

    def __init__(self, channel: StreamChannel) -> None:
        self._channel = channel

    def __aiter__(self) -> _ChannelReader:
        return self

    async def __anext__(self) -> bytes:
        chunk = await self._channel._read()
        if chunk is None:
            raise StopAsyncIteration
        return chunk

    def cancel(self, reason: Any = None) -> None:
        self._channel._cancel(reason)
