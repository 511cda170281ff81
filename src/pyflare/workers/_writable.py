"""The writable side of streams: ``WritableStream``, its writer and controller, ``TransformStream`` (and
workerd's ``IdentityTransformStream`` and ``FixedLengthStream``).

``TransformStream.new()``: what is written to ``writable.getWriter()`` comes out of ``readable`` (a
:class:`~pyflare.workers._streams.ReadableStream`); with the default strategies ``await writer.write(chunk)``
returns once the consumer has taken the chunk (backpressure), as the Streams standard has it. Writes to a
``WritableStream`` reach its sink's ``write`` one at a time, in order; ``desiredSize`` and the writer's
``ready`` say when to write more.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from typing import Any

from pyflare.kernel.jsdict import JsDict, field, js_arguments
from pyflare.kernel.jserrors import JsException, RangeError
from pyflare.kernel.jsobjects import JsBuffer, JsProxy, js_call
from pyflare.kernel.jspromise import JsPromise
from pyflare.workers._events import AbortController
from pyflare.workers._streams import ReadableStream, _call, _settled, _strategy, make_source_stream

WRITER_RELEASED = "This WritableStream writer has been released."
WRITABLE_CLOSED = "This WritableStream has been closed."
WRITABLE_LOCKED = "This WritableStream is currently locked to a writer."


# -- writable streams -----------------------------------------------------------------------------------
class WritableStreamDefaultController(JsProxy):
    """What a sink's ``start``/``write`` receive: ``error(e)``, ``signal`` (aborted when the stream is)."""

    js_type = "WritableStreamDefaultController"

    def __init__(self, stream: WritableStream) -> None:
        self._stream = stream
        self._signal: Any = None

    @classmethod
    def new(cls, *_: Any) -> Any:
        raise TypeError("Illegal constructor")

    @property
    def signal(self) -> Any:
        if self._signal is None:
            self._signal = AbortController.new().signal
        return self._signal

    def error(self, error: Any = None) -> None:
        self._stream._fail(error if isinstance(error, BaseException) else JsException(str(error)))


class WritableStream(JsProxy):
    """``WritableStream.new(write=..., close=..., abort=...)``: chunks written go to the sink's ``write``, one
    at a time, in order; ``desiredSize`` and the writer's ``ready`` say when to write more (backpressure)."""

    js_type = "WritableStream"

    def __init__(self, sink: Any = None, strategy: Any = None) -> None:
        self._sink = sink
        self._hwm, self._size = _strategy(strategy, 1)
        self._queue: deque[tuple[Any, float, asyncio.Future[Any]]] = deque()
        self._queued = 0.0
        self._state = "writable"
        self._error: BaseException | None = None
        self._writer: WritableStreamDefaultWriter | None = None
        self._controller = WritableStreamDefaultController(self)
        self._processing: asyncio.Task[Any] | None = None
        self._close_future: asyncio.Future[Any] | None = None
        self._room = asyncio.Event()
        self._room.set()
        self._started = asyncio.ensure_future(self._start())

    @classmethod
    def new(cls, *args: Any, **kwargs: Any) -> WritableStream:
        args = js_arguments(args, kwargs)
        sink = args[0] if args else None
        if field(sink, "type") is not None:
            raise RangeError("Invalid type is specified")
        return cls(sink, args[1] if len(args) > 1 else None)

    async def _start(self) -> None:
        try:
            await _settled(_call(field(self._sink, "start"), self._controller))
        except Exception as exc:
            self._fail(exc)

    @property
    def locked(self) -> bool:
        return self._writer is not None

    @property
    def _desired(self) -> float | None:
        if self._state == "errored":
            return None
        if self._state != "writable":
            return 0
        return self._hwm - self._queued

    def getWriter(self) -> WritableStreamDefaultWriter:  # noqa: N802
        return WritableStreamDefaultWriter(self)

    def abort(self, reason: Any = None) -> JsPromise:
        if self.locked:
            return JsPromise.reject(TypeError(WRITABLE_LOCKED))
        return JsPromise.of(self._abort(reason))

    def close(self) -> JsPromise:
        if self.locked:
            return JsPromise.reject(TypeError(WRITABLE_LOCKED))
        return JsPromise.of(self._close())

    # -- internals ---------------------------------------------------------------------------------
    def _write(self, chunk: Any) -> asyncio.Future[Any]:
        future = asyncio.get_running_loop().create_future()
        if self._state == "errored":
            future.set_exception(self._error)  # type: ignore[arg-type]
            return future
        if self._state != "writable":
            future.set_exception(TypeError(WRITABLE_CLOSED))
            return future
        size = 1.0
        if self._size is not None:
            size = float(js_call(self._size, chunk))
        self._queue.append((chunk, size, future))
        self._queued += size
        self._update_room()
        if self._processing is None or self._processing.done():
            self._processing = asyncio.ensure_future(self._process())
        return future

    def _update_room(self) -> None:
        desired = self._desired
        if desired is None or desired > 0 or self._state != "writable":
            self._room.set()
        else:
            self._room.clear()

    async def _process(self) -> None:
        await self._started
        write = field(self._sink, "write")
        while self._queue and self._state in ("writable", "closing"):
            chunk, size, future = self._queue[0]
            try:
                await _settled(_call(write, chunk, self._controller))
            except BaseException as exc:
                self._queue.popleft()
                if not future.done():
                    future.set_exception(exc)
                self._fail(exc)
                return
            self._queue.popleft()
            self._queued -= size
            self._update_room()
            if not future.done():
                future.set_result(None)
        if self._state == "closing" and not self._queue:
            await self._finish_close()

    async def _close(self) -> None:
        if self._state == "errored":
            raise self._error  # type: ignore[misc]
        if self._state != "writable":
            raise TypeError(WRITABLE_CLOSED)
        self._state = "closing"
        self._room.set()
        loop = asyncio.get_running_loop()
        self._close_future = loop.create_future()
        if self._processing is None or self._processing.done():
            self._processing = asyncio.ensure_future(self._process())
        await self._close_future

    async def _finish_close(self) -> None:
        try:
            await _settled(_call(field(self._sink, "close")))
        except BaseException as exc:
            self._fail(exc)
            if self._close_future is not None and not self._close_future.done():
                self._close_future.set_exception(exc)
            return
        self._state = "closed"
        if self._close_future is not None and not self._close_future.done():
            self._close_future.set_result(None)
        if self._writer is not None:
            self._writer._closed._resolve(None)

    async def _abort(self, reason: Any = None) -> None:
        if self._state in ("closed", "errored"):
            return
        error = reason if isinstance(reason, BaseException) else JsException(
            "undefined" if reason is None else str(reason))
        signal = self._controller._signal
        if signal is not None:
            signal._abort(error)
        self._fail(error)
        await _settled(_call(field(self._sink, "abort"), reason))

    def _fail(self, error: BaseException) -> None:
        if self._state in ("closed", "errored"):
            return
        self._state, self._error = "errored", error
        self._room.set()
        while self._queue:
            _, _, future = self._queue.popleft()
            if not future.done():
                future.set_exception(error)
        self._queued = 0
        if self._close_future is not None and not self._close_future.done():
            self._close_future.set_exception(error)
        if self._writer is not None:
            self._writer._closed._reject(error)


class WritableStreamDefaultWriter(JsProxy):
    """``writable.getWriter()``: ``write(chunk)`` (a promise settled once the sink took it), ``ready``,
    ``desiredSize``, ``close()``, ``abort()``, ``releaseLock()``, ``closed``."""

    js_type = "WritableStreamDefaultWriter"

    def __init__(self, stream: WritableStream) -> None:
        if stream.locked:
            raise TypeError(WRITABLE_LOCKED)
        self._stream: WritableStream | None = stream
        stream._writer = self
        self._closed = JsPromise().mark_handled()
        if stream._state == "closed":
            self._closed._resolve(None)
        elif stream._state == "errored":
            self._closed._reject(stream._error)

    @classmethod
    def new(cls, stream: WritableStream) -> WritableStreamDefaultWriter:
        return cls(stream)

    def _live(self) -> WritableStream:
        if self._stream is None:
            raise TypeError(WRITER_RELEASED)
        return self._stream

    @property
    def closed(self) -> JsPromise:
        return self._closed

    @property
    def desiredSize(self) -> float | None:  # noqa: N802
        return self._live()._desired

    @property
    def ready(self) -> JsPromise:
        stream = self._live()

        async def room() -> None:
            await stream._room.wait()
            if stream._state == "errored":
                raise stream._error  # type: ignore[misc]

        return JsPromise.of(room()).mark_handled()

    def write(self, chunk: Any = None) -> JsPromise:
        if self._stream is None:
            return JsPromise.reject(TypeError(WRITER_RELEASED))
        return JsPromise(self._stream._write(chunk))

    def close(self) -> JsPromise:
        if self._stream is None:
            return JsPromise.reject(TypeError(WRITER_RELEASED))
        return JsPromise.of(self._stream._close())

    def abort(self, reason: Any = None) -> JsPromise:
        if self._stream is None:
            return JsPromise.reject(TypeError(WRITER_RELEASED))
        return JsPromise.of(self._stream._abort(reason))

    def releaseLock(self) -> None:  # noqa: N802
        stream = self._stream
        if stream is None:
            return
        stream._writer = None
        self._stream = None
        self._closed._reject(TypeError(WRITER_RELEASED))


# -- transform streams ----------------------------------------------------------------------------------
class TransformStreamDefaultController(JsProxy):
    """What ``transform``/``flush`` receive: ``enqueue(chunk)``, ``error(e)``, ``terminate()``, ``desiredSize``."""

    js_type = "TransformStreamDefaultController"

    def __init__(self, stream: TransformStream) -> None:
        self._stream = stream

    @classmethod
    def new(cls, *_: Any) -> Any:
        raise TypeError("Illegal constructor")

    @property
    def desiredSize(self) -> float | None:  # noqa: N802
        return self._stream._readable._controller.desiredSize

    def enqueue(self, chunk: Any = None) -> None:
        readable = self._stream._readable._controller
        if readable._close_requested or readable._state != "readable":
            raise TypeError("Readable side is not in a state that permits enqueue")
        readable.enqueue(chunk)
        self._stream._set_backpressure((readable.desiredSize or 0) <= 0)

    def error(self, error: Any = None) -> None:
        self._stream._error(error if isinstance(error, BaseException) else JsException(str(error)))

    def terminate(self) -> None:
        readable = self._stream._readable._controller
        if readable._state == "readable" and not readable._close_requested:
            readable.close()
        self._stream._writable._fail(TypeError("The transform stream has been terminated"))


class TransformStream(JsProxy):
    """``TransformStream.new(transform=..., flush=...)`` (identity without a transformer): chunks written to
    ``writable`` come out of ``readable``. Backpressure as the Streams spec has it: with the default
    strategies a write completes once the chunk has been read from the other side."""

    js_type = "TransformStream"

    def __init__(self, transformer: Any = None, writable_strategy: Any = None, readable_strategy: Any = None,
                 *, readable_length: int | None = None) -> None:
        self._transformer = transformer
        self._backpressure = True
        self._backpressure_changed = asyncio.Event()
        self._controller = TransformStreamDefaultController(self)
        self._readable = make_source_stream(JsDict(pull=self._pull, cancel=self._cancel_readable),
                                            readable_strategy if readable_strategy is not None
                                            else JsDict(highWaterMark=0))
        self._readable.length = readable_length
        self._writable = WritableStream(JsDict(write=self._sink_write, close=self._sink_close,
                                               abort=self._sink_abort), writable_strategy)
        self._set_backpressure(True)
        start = field(transformer, "start")
        if start is not None:
            result = _call(start, self._controller)
            if inspect.isawaitable(result):
                self._writable._started = asyncio.ensure_future(self._after(self._writable._started, result))

    @staticmethod
    async def _after(first: Any, second: Any) -> None:
        await first
        await second

    @classmethod
    def new(cls, *args: Any, **kwargs: Any) -> TransformStream:
        args = js_arguments(args, kwargs)
        transformer = args[0] if args else None
        if field(transformer, "readableType") is not None:
            raise RangeError("Invalid readableType is specified")
        if field(transformer, "writableType") is not None:
            raise RangeError("Invalid writableType is specified")
        return cls(transformer, *args[1:3])

    @property
    def readable(self) -> ReadableStream:
        return self._readable

    @property
    def writable(self) -> WritableStream:
        return self._writable

    def _set_backpressure(self, value: bool) -> None:
        if value != self._backpressure:
            self._backpressure = value
        if value:
            self._backpressure_changed.clear()
        else:
            self._backpressure_changed.set()

    def _pull(self, _controller: Any) -> None:
        self._set_backpressure(False)

    async def _sink_write(self, chunk: Any, _controller: Any) -> None:
        if self._backpressure:
            await self._backpressure_changed.wait()
        if self._writable._state == "errored":
            raise self._writable._error  # type: ignore[misc]
        transform = field(self._transformer, "transform")
        try:
            if transform is None:
                self._controller.enqueue(self._accept(chunk))
            else:
                await _settled(_call(transform, chunk, self._controller))
        except BaseException as exc:  # a failed transform errors both sides, as the Streams spec says
            self._error(exc)
            raise

    def _accept(self, chunk: Any) -> Any:
        return chunk

    async def _sink_close(self) -> None:
        try:
            await _settled(_call(field(self._transformer, "flush"), self._controller))
        except BaseException as exc:
            self._error(exc)
            raise
        readable = self._readable._controller
        if readable._state == "readable" and not readable._close_requested:
            readable.close()

    async def _sink_abort(self, reason: Any) -> None:
        self._readable._controller.error(reason if isinstance(reason, BaseException) else JsException(str(reason)))

    async def _cancel_readable(self, reason: Any) -> None:
        error = reason if isinstance(reason, BaseException) else JsException(
            "The readable side was cancelled" if reason is None else str(reason))
        self._writable._fail(error)
        self._set_backpressure(False)
        await _settled(_call(field(self._transformer, "cancel"), reason))

    def _error(self, error: BaseException) -> None:
        self._readable._controller.error(error)
        self._writable._fail(error)
        self._set_backpressure(False)


class IdentityTransformStream(TransformStream):
    """workerd's byte-only identity stream: chunks written must be ArrayBuffers or views of one."""

    js_type = "IdentityTransformStream"

    @classmethod
    def new(cls, *args: Any, **kwargs: Any) -> TransformStream:
        args = js_arguments(args, kwargs)
        hwm = field(args[0] if args else None, "highWaterMark")
        return cls(None, None, JsDict(highWaterMark=hwm) if hwm is not None else None)

    def _accept(self, chunk: Any) -> Any:
        if not isinstance(chunk, JsBuffer):
            raise TypeError("This TransformStream is being used as a byte stream, but received an object of "
                            "non-ArrayBuffer/ArrayBufferView type on its writable side.")
        return chunk


class FixedLengthStream(IdentityTransformStream):
    """``FixedLengthStream.new(n)``: an identity stream of exactly ``n`` bytes; a Response with its readable
    side is sent with ``Content-Length: n``."""

    js_type = "FixedLengthStream"

    def __init__(self, length: int, *args: Any) -> None:
        super().__init__(None, None, None, readable_length=length)
        self._expected, self._seen = length, 0

    @classmethod
    def new(cls, length: Any = None, *args: Any, **kwargs: Any) -> TransformStream:
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise TypeError("FixedLengthStream requires an integer expected length.")
        return cls(length)

    def _accept(self, chunk: Any) -> Any:
        chunk = super()._accept(chunk)
        self._seen += chunk.byteLength
        if self._seen > self._expected:
            raise TypeError("Attempt to write too many bytes through a FixedLengthStream.")
        return chunk

    async def _sink_close(self) -> None:
        if self._seen < self._expected:
            raise TypeError("FixedLengthStream did not see all expected bytes before close().")
        await super()._sink_close()
