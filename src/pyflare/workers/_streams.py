"""ReadableStream: the one kind of streamed body a Response or Request accepts, as on Cloudflare.

Cloudflare's Python Response takes str, bytes, FormData, None or a JS ReadableStream (say another
response's ``.body``); a Python generator is refused there, so pyflare refuses it too. Every stream pyflare
hands to a worker (request and response bodies, fetch() responses, R2 and KV streams) is one of these.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from pyflare.kernel.jsdict import JsDict, js_arguments
from pyflare.workers._jsstreams import JsSourceStream, JsStreamMethods


class ReadableStream(JsStreamMethods):
    """An async iterator of bytes that can be read once, and a JavaScript ``ReadableStream``
    (:mod:`pyflare.workers._jsstreams`: ``getReader()``, ``pipeTo``, ``tee``...).

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

    @classmethod
    def new(cls, *args: Any, **kwargs: Any) -> ReadableStream:
        """``ReadableStream.new(start=..., pull=..., cancel=..., type=...)`` or ``.new(source, strategy)``:
        a stream whose chunks Python code enqueues (keyword arguments are the source, as Pyodide passes them)."""
        args = js_arguments(args, kwargs)
        return SourceStream(args[0] if args else None, args[1] if len(args) > 1 else None)

    @classmethod
    def from_(cls, iterable: Any) -> ReadableStream:
        """``ReadableStream.from(iterable)``: a stream of the values of a (async) iterable."""
        iterator = aiter(iterable) if hasattr(iterable, "__aiter__") else iter(iterable)

        async def pull(controller: Any) -> None:
            try:
                value = await anext(iterator) if hasattr(iterator, "__anext__") else next(iterator)
            except (StopIteration, StopAsyncIteration):
                controller.close()
            else:
                controller.enqueue(value)

        async def cancel(reason: Any = None) -> None:
            close = getattr(iterator, "aclose", None) or getattr(iterator, "close", None)
            if close is not None:
                result = close()
                if hasattr(result, "__await__"):
                    await result

        return SourceStream(JsDict(pull=pull, cancel=cancel), JsDict(highWaterMark=0))

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


class SourceStream(JsSourceStream, ReadableStream):
    """A ReadableStream whose chunks Python code enqueues (``ReadableStream.new(...)``, a TransformStream's
    readable side)."""
