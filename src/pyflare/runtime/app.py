"""The ASGI app: HTTP in, ``workers.Request`` to the worker, ``workers.Response`` back out, streaming.

The same app serves ``pyflare dev`` (over uvicorn) and tests (in-process over httpx's ASGI transport),
so both paths behave identically.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from pyflare.runtime.errors import format_user_traceback
from pyflare.runtime.runtime import Runtime
from pyflare.runtime.worker import WorkerLoadError
from pyflare.workers._headers import Headers
from pyflare.workers._jsdict import JsDict
from pyflare.workers._request import Request
from pyflare.workers._response import Response
from pyflare.workers._streams import ReadableStream

log = logging.getLogger("pyflare")

# Cloudflare rejects request bodies over 100 MB (the Free and Pro plans' limit).
MAX_REQUEST_BODY = 100 * 1024 * 1024

# Plausible values for request.cf locally (the shape Cloudflare's edge fills in).
LOCAL_CF = {
    "asn": 395747, "asOrganization": "Cloudflare Local", "colo": "LOCAL", "country": "US", "city": "Austin",
    "continent": "NA", "region": "Texas", "regionCode": "TX", "postalCode": "78701", "metroCode": "635",
    "latitude": "30.27130", "longitude": "-97.74260", "timezone": "America/Chicago",
    "httpProtocol": "HTTP/1.1", "tlsVersion": "", "tlsCipher": "", "clientTcpRtt": 0,
    "clientAcceptEncoding": "", "requestPriority": "", "edgeRequestKeepAliveStatus": 1, "verifiedBotCategory": "",
}


class BodyTooLarge(Exception):
    pass


def _plain(status: int, text: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = text.encode()
    return status, [(b"content-type", b"text/plain;charset=UTF-8"), (b"content-length", str(len(body)).encode())], body


class AccessLog:
    """One line per request: method, path, status, duration."""

    def __init__(self, fmt: str | None) -> None:
        self.fmt = fmt

    def __call__(self, method: str, path: str, status: int, started: float) -> None:
        ms = (time.perf_counter() - started) * 1000
        if self.fmt == "json":
            line = json.dumps({"type": "request", "method": method, "path": path, "status": status,
                               "duration_ms": round(ms, 2)})
        else:
            line = f"[pyflare] {method} {path} {status} ({ms:.1f}ms)"
        sys.stderr.write(line + "\n")


class WorkerApp:
    """ASGI application for one runtime."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        dev: bool = True,
        access_log: AccessLog | None = None,
        lifespan: tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]] | None = None,
    ) -> None:
        self.runtime = runtime
        self.dev = dev
        self.access_log = access_log
        self.lifespan = lifespan
        # pyflare's own endpoints under /cdn-cgi/local/ (S3, public buckets, explorer); set by Pyflare.
        self.local: Callable[[dict[str, Any], Any, Any], Awaitable[None]] | None = None
        # /__scheduled runs the scheduled handler only with `pyflare dev --test-scheduled` (set by Pyflare);
        # otherwise the path belongs to the worker, as on Cloudflare.
        self.test_scheduled = False
        self.observer: Callable[[str, str, int, float], None] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await self.http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            from pyflare.websockets.asgi import serve as serve_websocket

            started = time.perf_counter()
            status = await serve_websocket(self, scope, receive, send)
            if self.access_log is not None:
                self.access_log("GET", scope["path"], status, started)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    if self.lifespan:
                        await self.lifespan[0]()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.lifespan:
                    await self.lifespan[1]()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = time.perf_counter()
        method: str = scope["method"]
        path: str = scope["path"]
        if path.startswith("/cdn-cgi/handler/") or (path == "/__scheduled" and self.test_scheduled):
            status = await self._internal(scope, send)
        elif self.local is not None and path.startswith("/cdn-cgi/local/"):
            status = await self._local(scope, receive, send)
        else:
            status = await self._dispatch(scope, receive, send, method)
        if self.access_log is not None:
            self.access_log(method, path, status, started)
        if self.observer is not None:  # the explorer's live request view
            self.observer(method, path, status, started)

    async def _local(self, scope: dict[str, Any], receive: Any, send: Any) -> int:
        assert self.local is not None
        status = 500

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.local(scope, receive, sending)
        return status

    async def _dispatch(self, scope: dict[str, Any], receive: Any, send: Any, method: str) -> int:
        headers = Headers.from_raw(scope["headers"])
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_REQUEST_BODY:
            return await self._send_plain(send, *_plain(413, "413 Payload Too Large: the request body exceeds "
                                                                 "Cloudflare's 100 MB limit"))
        body: bytes | ReadableStream | None = None
        if (length is not None and length != "0") or headers.has("transfer-encoding"):
            body = await self._read_body(receive)
        request = Request._incoming(self._url(scope, headers), method, headers, body, JsDict(LOCAL_CF))
        try:
            response = await self.runtime.fetch(request)
        except BodyTooLarge:
            return await self._send_plain(send, *_plain(413, "413 Payload Too Large: the request body exceeds "
                                                                 "Cloudflare's 100 MB limit"))
        except WorkerLoadError as exc:
            return await self._send_plain(send, *_plain(500, f"The worker failed to load.\n\n{exc.details or exc}"))
        except Exception as exc:
            log.error("Uncaught exception in fetch handler for %s %s", method, scope["path"], exc_info=exc)
            text = ("Worker threw exception\n\n" + format_user_traceback(exc)) if self.dev else (
                "Error 1101: Worker threw exception")
            return await self._send_plain(send, *_plain(500, text))
        return await self._send_response(send, response, method)

    async def _read_body(self, receive: Any) -> bytes | ReadableStream:
        message = await receive()
        first = message.get("body", b"")
        if not message.get("more_body", False):
            if len(first) > MAX_REQUEST_BODY:
                raise BodyTooLarge()
            return first

        async def stream() -> AsyncIterator[bytes]:
            total = len(first)
            yield first
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                total += len(chunk)
                if total > MAX_REQUEST_BODY:
                    raise BodyTooLarge()
                more = message.get("more_body", False)
                yield chunk

        return ReadableStream(stream())

    @staticmethod
    def _url(scope: dict[str, Any], headers: Headers) -> str:
        host = headers.get("host")
        if not host:
            server = scope.get("server") or ("localhost", 80)
            host = f"{server[0]}:{server[1]}" if server[1] not in (80, 443) else server[0]
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else scope["path"]
        query = scope.get("query_string", b"")
        if query and "?" not in path:
            path += "?" + query.decode("latin-1")
        return f"{scope.get('scheme', 'http')}://{host}{path}"

    @staticmethod
    async def _send_plain(send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return status

    async def _send_response(self, send: Any, response: Response, method: str) -> int:
        status = response.status
        raw = response.headers.raw()
        body = response._take()
        if isinstance(body, bytes) or body is None:
            data = body or b""
            if not response.headers.has("content-length"):
                raw.append((b"content-length", str(len(data)).encode()))
            await send({"type": "http.response.start", "status": status, "headers": raw})
            await send({"type": "http.response.body", "body": b"" if method == "HEAD" else data})
            return status
        await send({"type": "http.response.start", "status": status, "headers": raw})
        try:
            async for chunk in body:
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except Exception as exc:  # headers are gone already: log and end the body
            log.error("Error while streaming the response body: %s: %s", type(exc).__name__, exc, exc_info=exc)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return status

    async def _internal(self, scope: dict[str, Any], send: Any) -> int:
        path = scope["path"]
        if path not in ("/cdn-cgi/handler/scheduled", "/__scheduled"):
            return await self._send_plain(send, *_plain(404, "Not Found"))
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        cron = query.get("cron", [""])[0]
        when = query.get("time", [None])[0]
        try:
            scheduled_time = float(when) / 1000 if when else None
        except ValueError:
            return await self._send_plain(send, *_plain(400, f"Invalid time parameter {when!r}: milliseconds expected"))
        try:
            result = await self.runtime.scheduled(cron=cron, scheduled_time=scheduled_time)
        except WorkerLoadError as exc:
            return await self._send_plain(send, *_plain(500, f"The worker failed to load.\n\n{exc.details or exc}"))
        if result["outcome"] != "ok":
            return await self._send_plain(send, *_plain(500, f"Scheduled handler failed: {result.get('error')}"))
        return await self._send_plain(send, *_plain(200, "ok"))
