"""``workers.wsgi.fetch(app, request, env)``: serve a request with a WSGI app (Django, Flask...).

As in Cloudflare's SDK (workers-runtime-sdk 1.9.5), the environ follows PEP 3333 and carries the bindings
as ``environ["workers.env"]``; ``wsgi.input`` reads the request body lazily, as the app asks for it, and the
response body is pulled from the app's iterable chunk by chunk as the client reads it (so it is sent
chunked unless the app sets Content-Length, as on Cloudflare). The iterable's ``close()`` runs once, when
the body ends or the client goes away. On Cloudflare the app runs synchronously on the isolate's thread and reaches async APIs
(a D1 query in django-cf) through ``pyodide.ffi.run_sync`` and JSPI. CPython has no stack switching, so
pyflare runs the app (and each pull of its iterable) in a helper thread where ``run_sync`` hands each
awaitable to the worker's event loop and waits.
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from pyflare.workers._entrypoints import WorkerEntrypoint
from pyflare.workers._request import Request
from pyflare.workers._response import Response
from pyflare.workers._streams import ReadableStream
from pyflare.workers.gateway import BaseOptions
from pyflare.workers.pyodide.ffi import run_in_thread, run_sync

logger = logging.getLogger("wsgi")
NULL_BODY_STATUSES = frozenset({101, 103, 204, 205, 304})
_END = object()


@dataclass(frozen=True, kw_only=True)
class Options(BaseOptions):
    """Options for the WSGI adapter (see :class:`pyflare.workers.gateway.BaseOptions`)."""


DEFAULT_OPTIONS = Options()


def _native(value: str) -> str:
    """A PEP 3333 "native string": the UTF-8 bytes of ``value`` as latin-1 code points."""
    return value.encode("utf-8").decode("latin-1")


class _StreamInput(io.RawIOBase):
    """A blocking ``wsgi.input`` over the request's body stream, read in the app's thread with run_sync."""

    def __init__(self, body: ReadableStream) -> None:
        self._chunks = aiter(body)
        self._body = body
        self._buffer = bytearray()
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer and not self._eof:
            try:
                self._buffer.extend(run_sync(anext(self._chunks)))
            except StopAsyncIteration:
                self._eof = True
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        del self._buffer[:count]
        return count

    def close(self) -> None:
        if not self.closed and not self._eof:  # drop the rest of the body
            try:
                run_sync(self._body.cancel())
            except Exception:  # best effort: the body is not needed any more
                pass
        super().close()


def _wsgi_input(request: Any) -> io.IOBase:
    body = request._body if isinstance(request, Request) else None
    if body is None:
        return io.BytesIO(b"")
    if type(body) is bytes:  # already in hand: no need to go through the event loop for it
        return io.BytesIO(body)
    return io.BufferedReader(_StreamInput(request.body))


def build_environ(request: Request, env: Any, body: bytes | io.IOBase) -> dict[str, Any]:
    url = urlsplit(request.url)
    if not url.scheme:
        raise ValueError(f"Request URL is not absolute: {request.url!r}")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": str(request.method),
        "SCRIPT_NAME": "",
        "PATH_INFO": _native(unquote(url.path or "/")),
        "QUERY_STRING": url.query,
        "SERVER_NAME": url.hostname or "localhost",
        "SERVER_PORT": str(url.port) if url.port else ("443" if url.scheme == "https" else "80"),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": request.headers.get("cf-connecting-ip") or "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme,
        "wsgi.input": io.BytesIO(body) if isinstance(body, (bytes, bytearray)) else body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "workers.env": env,
    }
    for key, value in request.headers.items():
        name = key.upper().replace("-", "_")
        if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[name] = value
        elif f"HTTP_{name}" in environ:
            environ[f"HTTP_{name}"] += "," + value
        else:
            environ[f"HTTP_{name}"] = value
    if "CONTENT_LENGTH" not in environ and isinstance(body, (bytes, bytearray)) and body:
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


class _Call:
    """One call of the WSGI app: start_response's state and the body iterable (used from the app's thread)."""

    def __init__(self, app: Any, environ: dict[str, Any]) -> None:
        self.app = app
        self.environ = environ
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.written: list[bytes] = []  # the legacy write() callable's output, sent before the iterable's
        self.result: Any = None
        self.iterator: Iterator[bytes] | None = None
        self.closed = False

    def start_response(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info is not None:
            try:
                if self.status is not None:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response() called more than once")
        self.status, self.headers = status, list(headers)
        return self.write

    def write(self, chunk: bytes) -> None:
        if self.status is None:
            raise AssertionError("write() called before start_response()")
        if chunk:
            self.written.append(chunk)

    def start(self) -> list[bytes]:
        """Call the app and pull its first body chunk (some apps call start_response only then): returns
        the chunks in hand."""
        self.result = self.app(self.environ, self.start_response)
        self.iterator = iter(self.result)
        try:
            first = self.pull()
            if self.status is None:
                raise RuntimeError("The WSGI application did not call start_response()")
        except BaseException:
            self.close()
            raise
        chunks, self.written = [*self.written, *([] if first is _END else [first])], []
        return chunks

    def pull(self) -> Any:
        """The next non-empty chunk of the iterable, or _END (after which the iterable is closed)."""
        assert self.iterator is not None
        for chunk in self.iterator:
            if chunk:
                return bytes(chunk)
        self.close()
        return _END

    def close(self) -> None:
        """PEP 3333: the server calls the iterable's close(); and the request body is let go."""
        if self.closed:
            return
        self.closed = True
        try:
            close = getattr(self.result, "close", None)
            if close is not None:
                close()
        finally:
            try:
                self.environ["wsgi.input"].close()
            except Exception:
                logger.exception("Failed to close wsgi.input")


async def _rest(call: _Call, chunks: list[bytes]) -> AsyncIterator[bytes]:
    """The body after the chunks in hand, each pulled in the app's thread; closes the iterable at the end."""
    try:
        for chunk in chunks:
            yield chunk
        while True:
            chunk = await run_in_thread(call.pull)
            if chunk is _END:
                return
            yield chunk
    except Exception:
        logger.exception("Exception while streaming WSGI response body")
        raise
    finally:
        if not call.closed:  # the client went away before the end
            await run_in_thread(call.close)


async def process_request(app: Any, request: Request, env: Any, body: bytes | io.IOBase,
                          options: Options = DEFAULT_OPTIONS) -> Response:
    call = _Call(app, build_environ(request, env, body))
    chunks = await run_in_thread(call.start)
    assert call.status is not None
    code, _, reason = call.status.partition(" ")
    status = int(code)
    if status in NULL_BODY_STATUSES:
        if not call.closed:
            await run_in_thread(call.close)
        return Response(None, status=status, status_text=reason, headers=call.headers)
    return Response(ReadableStream(_rest(call, chunks)), status=status, status_text=reason, headers=call.headers)


async def fetch(app: Any, request: Request, env: Any, ctx: Any = None, *, options: Options | None = None) -> Response:
    """Run the WSGI ``app`` for ``request`` and return its response (``ctx``: accepted, as asgi.fetch takes it)."""
    logger.debug("WSGI request: %s %s", request.method, request.url)
    try:
        return await process_request(app, request, env, _wsgi_input(request), options or DEFAULT_OPTIONS)
    except Exception as exc:
        logger.error("WSGI request failed: %s: %s", type(exc).__name__, exc)
        raise


def entrypoint(app: Any, *, options: Options | None = None) -> type[WorkerEntrypoint]:
    """``Default = wsgi.entrypoint(app)``: a Default entrypoint serving the WSGI ``app``."""

    class Default(WorkerEntrypoint):
        async def fetch(self, request: Any) -> Response:
            return await fetch(app, request, self.env, options=options)

    return Default


__all__ = [
    "DEFAULT_OPTIONS", "NULL_BODY_STATUSES", "Options", "build_environ", "entrypoint", "fetch",
    "process_request",
]
