"""The JavaScript side of streams: readers, ``ReadableStream.new(source)``, ``WritableStream``, ``TransformStream``.

Every stream pyflare hands to a worker is a :class:`~pyflare.workers._streams.ReadableStream`. Python code
reads it the way Cloudflare's Python Workers do (``reader = stream.getReader()``; ``result = await
reader.read()``; ``result.done`` / ``result.value``, a ``Uint8Array``; ``reader.releaseLock()``), pipes it
(``pipeTo``, ``pipeThrough``), splits it (``tee``) or cancels it. Python code also *makes* streams:

- ``ReadableStream.new(start=..., pull=..., cancel=...)`` (an underlying source, as keyword arguments, a dict
  or an object with those methods): ``pull(controller)`` is called while the queue holds fewer than
  ``highWaterMark`` chunks (1 by default), so a source that enqueues one chunk per pull is read only as fast
  as the consumer reads;
- ``TransformStream.new()``: what is written to ``writable.getWriter()`` comes out of ``readable``; with the
  default strategies ``await writer.write(chunk)`` returns once the consumer has taken the chunk (backpressure).

Chunks of a stream made in Python are JavaScript values. Used as a body, each chunk must be an ArrayBuffer or
a view of one (``pyodide.ffi.to_js(data)``, ``TextEncoder.new().encode(text)``), as on Cloudflare, where any
other chunk fails the body with ``TypeError: This ReadableStream did not return bytes.``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from pyflare.kernel.jsdict import JsDict, field, js_arguments
from pyflare.kernel.jserrors import JsException, RangeError
from pyflare.kernel.jsobjects import DataView, JsArray, JsBuffer, JsProxy, TypedArray, Uint8Array, js_call
from pyflare.kernel.jspromise import JsPromise

if TYPE_CHECKING:
    from pyflare.workers._streams import ReadableStream

NOT_BYTES = "This ReadableStream did not return bytes."
# What one read() of a reader gives at most from a stream of the platform's (a body, an R2 object): workerd
# reads its internal streams into 4096-byte buffers (DEFAULT_AUTO_ALLOCATE_CHUNK_SIZE, streams/common.h).
READ_SIZE = 4096
LOCKED = "This ReadableStream is currently locked to a reader."
READER_RELEASED = "This ReadableStream reader has been released."
WRITER_RELEASED = "This WritableStream writer has been released."
STREAM_CLOSED = "This ReadableStream is closed."
WRITABLE_CLOSED = "This WritableStream has been closed."
WRITABLE_LOCKED = "This WritableStream is currently locked to a writer."


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

    def cancel(self, reason: Any = None) -> JsPromise:
        if self.locked and self._reader is not None:
            return JsPromise.reject(TypeError(LOCKED))
        return JsPromise.of(self._cancel(reason))

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
            return JsPromise.reject(TypeError(WRITABLE_LOCKED))
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
        left = self.__dict__.pop("_read_left", b"")
        if not left:
            try:
                left = await self.__anext__()  # type: ignore[attr-defined]
            except StopAsyncIteration:
                self._settle_closed(None)
                return True, None
            except BaseException as exc:
                self._settle_closed(exc)
                raise
        if len(left) > READ_SIZE:
            self.__dict__["_read_left"] = left[READ_SIZE:]
            left = left[:READ_SIZE]
        return False, Uint8Array(left)

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


def make_source_stream(source: Any, strategy: Any = None) -> ReadableStream:
    """A ReadableStream over an underlying source written in Python (``start``/``pull``/``cancel``)."""
    from pyflare.workers._streams import SourceStream

    return SourceStream(source, strategy)


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
            from pyflare.workers.js._events import AbortController

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
