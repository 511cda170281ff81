"""ReadableStream: the one kind of streamed body a Response or Request accepts, as on Cloudflare.

Cloudflare's Python Response takes str, bytes, FormData, None or a JS ReadableStream (say another
response's ``.body``); a Python generator is refused there, so pyflare refuses it too. Every stream pyflare
hands to a worker (request and response bodies, fetch() responses, R2 and KV streams) is one of these.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator


class ReadableStream:
    """An async iterator of bytes that can be read once.

    ``length`` is the total number of bytes when known in advance (an R2 object's body): a Response with
    such a body is sent with Content-Length, as Cloudflare sends it, instead of chunked.
    """

    length: int | None = None

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
                raise StopAsyncIteration
            self._iterator = aiter(self._source)
        return await anext(self._iterator)

    async def read_all(self) -> bytes:
        return b"".join([chunk async for chunk in self])
