"""Streams: ReadableStream, the one kind of streamed body a Request or Response takes, with its JavaScript API.

Every stream pyflare hands to a worker (request and response bodies, fetch() responses, R2 and KV streams) is a
:class:`ReadableStream`: pyflare's own code reads it as an async iterator of bytes (read once); worker code
reads it the way Cloudflare's Python Workers do (``reader = stream.getReader()``; ``result = await
reader.read()``; ``result.done`` / ``result.value``, a ``Uint8Array``; ``reader.releaseLock()``), pipes it
(``pipeTo``, ``pipeThrough``), splits it (``tee``) or cancels it.

``ReadableStream.new(start=..., pull=..., cancel=...)`` (an underlying source, as keyword arguments, a dict or
an object with those methods) makes a :class:`SourceStream`: ``pull(controller)`` is called while the queue
holds fewer than ``highWaterMark`` chunks (1 by default), so a source that enqueues one chunk per pull is read
only as fast as the consumer reads. Its chunks are JavaScript values; used as a body, each chunk must be an
ArrayBuffer or a view of one (``pyodide.ffi.to_js(data)``, ``TextEncoder.new().encode(text)``), as on
Cloudflare, where any other chunk fails the body with ``TypeError: This ReadableStream did not return bytes.``.
The writable side (``WritableStream``, ``TransformStream``) is :mod:`pyflare.workers._writable`.

:class:`StreamChannel` is the writable side pyflare's own code streams a body through (what a
``TransformStream`` is to Cloudflare's ``workers.asgi``): ``await write(chunk)`` waits while a chunk is still
unread (backpressure), and a reader that cancels (the client went away) makes the next write fail.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any

from pyflare.kernel.jsdict import JsDict, field, js_arguments
from pyflare.kernel.jserrors import JsException, RangeError
from pyflare.kernel.jsobjects import DataView, JsArray, JsBuffer, JsProxy, TypedArray, Uint8Array, js_call
from pyflare.kernel.jspromise import JsPromise

NOT_BYTES = "This ReadableStream did not return bytes."
# What one read() of a reader gives at most from a stream of the platform's (a body, an R2 object): workerd
# reads its internal streams into 4096-byte buffers (DEFAULT_AUTO_ALLOCATE_CHUNK_SIZE, streams/common.h).
READ_SIZE = 4096
LOCKED = "This ReadableStream is currently locked to a reader."
READER_RELEASED = "This ReadableStream reader has been released."
STREAM_CLOSED = "This ReadableStream is closed."


def _call(func: Callable[..., Any] | None, *args: Any) -> Any:
    """Call an underlying source/sink method; its awaitable (a coroutine, a promise) is started now."""
    if func is None:
        return None
    result = js_call(func, *args)
    if inspect.isawaitable(result):
        return asyncio.ensure_future(result) if not isinstance(result, JsPromise) else result._future
    return result


async def _settled(result: Any) -> Any:
    if inspect.isawaitable(result):
        return await result
    return result


async def _fail(error: BaseException) -> None:
    raise error


def chunk_bytes(value: Any) -> bytes:
    """A chunk of a stream made in Python, as the bytes a body sends; TypeError (Cloudflare's) otherwise."""
    if isinstance(value, JsBuffer):
        return value.to_bytes()
    hint = ""
    if isinstance(value, (bytes, bytearray, memoryview)):
        hint = " (a Python bytes chunk: wrap it with pyodide.ffi.to_js(chunk), which gives the Uint8Array " \
               "Cloudflare's runtime needs)"
    elif isinstance(value, str):
        hint = " (a str chunk: encode it with js.TextEncoder.new().encode(text) or to_js(text.encode()))"
    raise TypeError(NOT_BYTES + hint)


def _strategy(strategy: Any, default_hwm: float) -> tuple[float, Callable[[Any], float] | None]:
    hwm = field(strategy, "highWaterMark", default_hwm)
    try:
        hwm = float(hwm)
    except (TypeError, ValueError):
        raise RangeError("The highWaterMark must be a non-negative number.") from None
    if hwm != hwm or hwm < 0:
        raise RangeError("The highWaterMark must be a non-negative number.")
    return hwm, field(strategy, "size")


class CountQueuingStrategy(JsProxy):
    """``CountQueuingStrategy.new(highWaterMark=n)``: each chunk counts 1."""

    js_type = "CountQueuingStrategy"

    def __init__(self, high_water_mark: float) -> None:
        self.highWaterMark = high_water_mark

    @classmethod
    def new(cls, *args: Any, **kwargs: Any) -> CountQueuingStrategy:
        (init, *_) = js_arguments(args, kwargs) or (None,)
        return cls(field(init, "highWaterMark", 1))

    def size(self, chunk: Any = None) -> int:
        return 1


class ByteLengthQueuingStrategy(JsProxy):
    """``ByteLengthQueuingStrategy.new(highWaterMark=bytes)``: a chunk counts its ``byteLength``."""

    js_type = "ByteLengthQueuingStrategy"

    def __init__(self, high_water_mark: float) -> None:
        self.highWaterMark = high_water_mark

    @classmethod
    def new(cls, *args: Any, **kwargs: Any) -> ByteLengthQueuingStrategy:
        (init, *_) = js_arguments(args, kwargs) or (None,)
        return cls(field(init, "highWaterMark", 0))

    def size(self, chunk: Any) -> int:
        return int(getattr(chunk, "byteLength", 0) or 0)


# -- readable streams made in Python -------------------------------------------------------------------
class ReadableStreamDefaultController(JsProxy):
    """What ``start``/``pull`` receive: ``enqueue(chunk)``, ``close()``, ``error(e)``, ``desiredSize``."""

    js_type = "ReadableStreamDefaultController"

    def __init__(self, stream: JsSourceStream, source: Any, hwm: float, size: Callable[[Any], float] | None,
                 byte_stream: bool) -> None:
        self._stream = stream
        self._source = source
        self._hwm = hwm
        self._size = size
        self._byte_stream = byte_stream
        self._queue: deque[tuple[Any, float]] = deque()
        self._queued = 0.0
        self._reads: deque[asyncio.Future[Any]] = deque()
        self._started = self._pulling = self._pull_again = self._close_requested = False
        self._state = "readable"
        self._error: BaseException | None = None

    @classmethod
    def new(cls, *_: Any) -> Any:
        raise TypeError("Illegal constructor")

    @property
    def byobRequest(self) -> None:  # noqa: N802 - JS names
        return None

    @property
    def desiredSize(self) -> float | None:  # noqa: N802
        if self._state == "errored":
            return None
        if self._state == "closed":
            return 0
        return self._hwm - self._queued

    def enqueue(self, chunk: Any = None) -> None:
        if self._close_requested or self._state != "readable":
            raise TypeError(STREAM_CLOSED)
        if self._byte_stream and not isinstance(chunk, JsBuffer):
            raise TypeError("This ReadableByteStreamController can only enqueue an ArrayBuffer or ArrayBufferView.")
        if self._reads:
            self._reads.popleft().set_result((False, chunk))
        else:
            size = 1.0
            if self._size is not None:
                try:
                    size = float(js_call(self._size, chunk))
                except Exception as exc:
                    self.error(exc)
                    raise
            self._queue.append((chunk, size))
            self._queued += size
        self._pull_if_needed()

    def close(self) -> None:
        if self._close_requested or self._state != "readable":
            raise TypeError(STREAM_CLOSED)
        self._close_requested = True
        if not self._queue:
            self._finish()

    def error(self, error: Any = None) -> None:
        if self._state != "readable":
            return
        if not isinstance(error, BaseException):
            error = JsException("undefined" if error is None else str(error))
        self._state, self._error = "errored", error
        self._queue.clear()
        self._queued = 0
        while self._reads:
            future = self._reads.popleft()
            if not future.done():
                future.set_exception(error)
        self._stream._settle_closed(error)

    def _finish(self) -> None:
        self._state = "closed"
        while self._reads:
            future = self._reads.popleft()
            if not future.done():
                future.set_result((True, None))
        self._stream._settle_closed(None)

    # -- the source's side -------------------------------------------------------------------------
    def _start(self) -> None:
        try:
            result = _call(field(self._source, "start"), self)
        except Exception as exc:
            self.error(exc)
            return
        loop = asyncio.get_running_loop()

        async def started() -> None:
            try:
                await _settled(result)
            except Exception as exc:
                self.error(exc)
                return
            self._started = True
            self._pull_if_needed()

        if inspect.isawaitable(result):
            asyncio.ensure_future(started())
        else:
            loop.call_soon(lambda: (setattr(self, "_started", True), self._pull_if_needed()))

    def _pull_if_needed(self) -> None:
        if not self._started or self._state != "readable" or self._close_requested:
            return
        if not self._reads and (self.desiredSize or 0) <= 0:
            return
        pull = field(self._source, "pull")
        if pull is None:
            return
        if self._pulling:
            self._pull_again = True
            return
        self._pulling = True
        try:
            result = _call(pull, self)
        except Exception as exc:
            self.error(exc)
            return

        async def pulled() -> None:
            try:
                await _settled(result)
            except Exception as exc:
                self.error(exc)
                return
            self._pulling = False
            if self._pull_again:
                self._pull_again = False
                self._pull_if_needed()

        if inspect.isawaitable(result):
            asyncio.ensure_future(pulled())
        else:  # settle on the next turn of the loop, as a resolved promise would
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(pulled()))

    async def _read(self) -> tuple[bool, Any]:
        """(done, value) of the next chunk."""
        if self._queue:
            chunk, size = self._queue.popleft()
            self._queued -= size
            if self._close_requested and not self._queue:
                self._finish()
            else:
                self._pull_if_needed()
            return False, chunk
        if self._state == "closed":
            return True, None
        if self._state == "errored":
            raise self._error  # type: ignore[misc]
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._reads.append(future)
        self._pull_if_needed()
        return await future

    def _cancel(self, reason: Any) -> Any:
        if self._state != "readable":
            return None
        self._queue.clear()
        self._queued = 0
        self._finish()
        return _call(field(self._source, "cancel"), reason)


ReadableByteStreamController = ReadableStreamDefaultController


class JsStreamMethods(JsProxy):
    """The JavaScript API of every ReadableStream (a base of :class:`~pyflare.workers._streams.ReadableStream`)."""

    js_type = "ReadableStream"
    _reader: Any = None
    _released = False
    _closed_promise: JsPromise | None = None

    # -- what JavaScript code sees -----------------------------------------------------------------
    @property
    def locked(self) -> bool:
        return self._reader is not None or (bool(getattr(self, "disturbed", False)) and not self._released)

    def getReader(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - JS names
        (options, *_) = js_arguments(args, kwargs) or (None,)
        mode = field(options, "mode")
        if mode is not None and mode != "byob":
            raise TypeError(f"Failed to execute 'getReader': mode must be \"byob\", not {mode!r}")
        if self.locked:
            raise TypeError(LOCKED)
        reader = ReadableStreamBYOBReader(self) if mode == "byob" else ReadableStreamDefaultReader(self)
        return reader

    def cancel(self, reason: Any = None) -> Any:
        """Stop reading and tell the source: a promise, as in JavaScript (from a helper thread with no event
        loop, such as a WSGI app's, a coroutine to hand to ``run_sync``)."""
        work = self._cancel(reason) if self._reader is None else _fail(TypeError(LOCKED))
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return work
        return JsPromise.of(work)

    async def _cancel(self, reason: Any = None) -> None:
        self.disturbed = True  # type: ignore[attr-defined]
        close = getattr(self, "aclose", None)
        if close is None:
            source = getattr(self, "_iterator", None) or getattr(self, "_source", None)
            close = getattr(source, "aclose", None)
        if close is not None:
            try:
                await close()
            except RuntimeError:  # an async generator running right now: it stops at its next step
                pass
        self._settle_closed(None)

    def tee(self) -> JsArray:
        if self.locked:
            raise TypeError(LOCKED)
        reader = ReadableStreamDefaultReader(self)
        branches: list[JsSourceStream] = []
        cancelled = [False, False]
        reading: list[asyncio.Future[Any] | None] = [None]

        async def pull_shared(_controller: Any) -> None:
            if reading[0] is None:
                reading[0] = asyncio.ensure_future(reader._next())
            future = reading[0]
            done, value = await future
            if reading[0] is future:
                reading[0] = None
                for i, branch in enumerate(branches):
                    if cancelled[i]:
                        continue
                    if done:
                        branch._controller.close()
                    else:
                        branch._controller.enqueue(value)

        def canceller(index: int) -> Callable[[Any], Any]:
            async def cancel(reason: Any = None) -> None:
                cancelled[index] = True
                if all(cancelled):
                    await reader.cancel(reason)
            return cancel

        for index in range(2):
            branches.append(make_source_stream(JsDict(pull=pull_shared, cancel=canceller(index)), None))
        return JsArray(branches)

    def pipeTo(self, destination: Any, *args: Any, **kwargs: Any) -> JsPromise:  # noqa: N802
        (options, *_) = js_arguments(args, kwargs) or (None,)
        if self.locked:
            return JsPromise.reject(TypeError(LOCKED))
        if destination.locked:
            return JsPromise.reject(TypeError("This WritableStream is currently locked to a writer."))
        return JsPromise.of(_pipe(self, destination, options))

    def pipeThrough(self, transform: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        self.pipeTo(transform.writable, *args, **kwargs).mark_handled()
        return transform.readable

    def values(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        (options, *_) = js_arguments(args, kwargs) or (None,)
        reader = self.getReader()
        prevent_cancel = bool(field(options, "preventCancel", False))

        async def iterate() -> AsyncIterator[Any]:
            try:
                while True:
                    done, value = await reader._next()
                    if done:
                        return
                    yield value
            finally:
                if not prevent_cancel and not reader._done:
                    await reader.cancel()
                reader.releaseLock()

        return iterate()

    # -- what readers use --------------------------------------------------------------------------
    async def _read_value(self) -> tuple[bool, Any]:
        """(done, value): the next chunk as JavaScript reads it: a Uint8Array of at most
        :data:`READ_SIZE` bytes, as workerd's default reads of its own streams allocate."""
        value = self._take_buffered()
        if value is not None:
            return False, value
        try:
            chunk = await self.__anext__()  # type: ignore[attr-defined]
        except StopAsyncIteration:
            self._settle_closed(None)
            return True, None
        except BaseException as exc:
            self._settle_closed(exc)
            raise
        if len(chunk) <= READ_SIZE:
            return False, Uint8Array(chunk)
        # the rest of the chunk is kept as a view of our own copy (a producer may reuse the buffer it handed
        # out): slicing a megabyte chunk into 4 KiB reads copies each byte once
        self.__dict__["_read_left"] = memoryview(chunk if isinstance(chunk, bytes) else bytes(chunk))
        return False, self._take_buffered()

    def _take_buffered(self) -> Any:
        """The next read's Uint8Array when the chunk in hand still holds bytes (no wait for the source), else
        None."""
        left = self.__dict__.get("_read_left")
        if not left:
            return None
        self.__dict__["_read_left"] = left[READ_SIZE:]
        return Uint8Array(left[:READ_SIZE])

    def _settle_closed(self, error: BaseException | None) -> None:
        promise = self._closed_promise
        if promise is None:
            return
        if error is None:
            promise._resolve(None)
        else:
            promise._reject(error)


class JsSourceStream(JsStreamMethods):
    """A ReadableStream whose chunks come from an underlying source written in Python (``ReadableStream.new``);
    :func:`make_source_stream` makes one (a :class:`~pyflare.workers._streams.ReadableStream` too)."""

    disturbed = False

    def __init__(self, source: Any, strategy: Any) -> None:
        byte_stream = field(source, "type") == "bytes"
        hwm, size = _strategy(strategy, 0 if byte_stream else 1)
        self._controller = ReadableStreamDefaultController(self, source, hwm, size, byte_stream)
        self.length = None
        self._controller._start()

    async def _read_value(self) -> tuple[bool, Any]:
        self.disturbed = True
        return await self._controller._read()

    async def __anext__(self) -> bytes:
        self.disturbed = True
        done, value = await self._controller._read()
        if done:
            raise StopAsyncIteration
        try:
            return chunk_bytes(value)
        except TypeError as exc:
            self._controller._cancel(exc)
            raise

    def __aiter__(self) -> JsSourceStream:
        return self

    async def read_all(self) -> bytes:
        return b"".join([chunk async for chunk in self])

    async def _cancel(self, reason: Any = None) -> None:
        self.disturbed = True
        await _settled(self._controller._cancel(reason))

    async def aclose(self) -> None:
        await self._cancel(None)


class ReadableStreamDefaultReader(JsProxy):
    """``stream.getReader()``: ``await reader.read()`` gives an object with ``done`` and ``value``."""

    js_type = "ReadableStreamDefaultReader"

    def __init__(self, stream: Any) -> None:
        if stream.locked:
            raise TypeError(LOCKED)
        self._stream = stream
        self._done = False
        stream._reader = self
        stream._released = False
        self._closed = JsPromise().mark_handled()
        stream._closed_promise = self._closed
        self._pending: set[asyncio.Future[Any]] = set()

    @classmethod
    def new(cls, stream: Any) -> ReadableStreamDefaultReader:
        return cls(stream)

    @property
    def closed(self) -> JsPromise:
        return self._closed

    async def _next(self) -> tuple[bool, Any]:
        if self._stream is None:
            raise TypeError(READER_RELEASED)
        done, value = await self._stream._read_value()
        if done:
            self._done = True
        return done, value

    def read(self) -> JsPromise:
        take = getattr(self._stream, "_take_buffered", None)
        if take is not None and not self._pending:  # bytes already in hand: a settled promise, no task
            value = take()
            if value is not None:
                return JsPromise.resolve(JsDict(done=False, value=value))

        async def read() -> JsDict:
            done, value = await self._next()
            return JsDict(done=done, value=value)

        task = asyncio.ensure_future(read())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return JsPromise(task)

    def releaseLock(self) -> None:  # noqa: N802
        stream = self._stream
        if stream is None:
            return
        for task in list(self._pending):
            task.cancel()
        self._stream = None
        stream._reader = None
        stream._released = True
        self._closed._reject(TypeError(READER_RELEASED))

    def cancel(self, reason: Any = None) -> JsPromise:
        if self._stream is None:
            return JsPromise.reject(TypeError(READER_RELEASED))
        self._done = True
        return JsPromise.of(self._stream._cancel(reason))


class ReadableStreamBYOBReader(ReadableStreamDefaultReader):
    """``stream.getReader(mode="byob")``: ``await reader.read(view)`` fills ``view`` with the next bytes."""

    js_type = "ReadableStreamBYOBReader"

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._left = b""

    def read(self, view: Any = None, *_: Any) -> JsPromise:  # type: ignore[override]
        if not isinstance(view, (TypedArray, DataView)):
            return JsPromise.reject(TypeError("You must call read() on a \"byob\" reader with a positive-sized "
                                              "TypedArray object."))
        if view.byteLength == 0:
            return JsPromise.reject(TypeError("You must call read() on a \"byob\" reader with a positive-sized "
                                              "TypedArray object."))

        async def read() -> JsDict:
            data = self._left
            if not data:
                done, value = await self._next()
                if done:
                    return JsDict(done=True, value=type(view)(view.buffer, view.byteOffset, 0))
                data = chunk_bytes(value) if not isinstance(value, (bytes, bytearray)) else bytes(value)
            size = view.BYTES_PER_ELEMENT if isinstance(view, TypedArray) else 1
            take = min(len(data), view.byteLength)
            take -= take % size
            view._view().cast("B")[:take] = data[:take]
            self._left = data[take:]
            filled = type(view)(view.buffer, view.byteOffset, take // size)
            return JsDict(done=False, value=filled)

        return JsPromise.of(read())


async def _pipe(source: Any, destination: Any, options: Any) -> None:
    prevent_close = bool(field(options, "preventClose", False))
    prevent_abort = bool(field(options, "preventAbort", False))
    prevent_cancel = bool(field(options, "preventCancel", False))
    signal = field(options, "signal")
    reader = ReadableStreamDefaultReader(source)
    writer = destination.getWriter()
    try:
        while True:
            if signal is not None and signal.aborted:
                raise signal.reason
            await writer.ready
            done, value = await reader._next()
            if done:
                break
            await writer.write(value)
    except BaseException as exc:
        if not prevent_abort:
            await _settled(writer.abort(exc))
        if not prevent_cancel:
            await _settled(reader.cancel(exc))
        raise
    else:
        if not prevent_close:
            await writer.close()
    finally:
        reader.releaseLock()
        writer.releaseLock()


class ReadableStream(JsStreamMethods):
    """An async iterator of bytes that can be read once, and a JavaScript ``ReadableStream``
    (:class:`JsStreamMethods`: ``getReader()``, ``pipeTo``, ``tee``...).

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

    async def _cancel(self, reason: Any = None) -> None:
        """Stop reading: the source is told (a writer's next write fails) and the rest is dropped (what
        JavaScript's ``cancel()`` does, :class:`JsStreamMethods`)."""
        self.disturbed = True
        self._settle_closed(None)
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
        await self._cancel()


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


class SourceStream(JsSourceStream, ReadableStream):
    """A ReadableStream whose chunks Python code enqueues (``ReadableStream.new(...)``, a TransformStream's
    readable side)."""


def make_source_stream(source: Any, strategy: Any = None) -> ReadableStream:
    """A ReadableStream over an underlying source written in Python (``start``/``pull``/``cancel``)."""
    return SourceStream(source, strategy)
