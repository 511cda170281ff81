"""The ASGI app: HTTP in, ``workers.Request`` to the worker, ``workers.Response`` back out, streaming.

The same app serves ``pyflare dev`` (over uvicorn) and tests (in-process over httpx's ASGI transport),
so both paths behave identically. A request goes, in order, through:

1. pyflare's own endpoints: any ``/cdn-cgi/`` path (and ``/__scheduled`` under ``--test-scheduled``) is
   held to Cloudflare's URL and header limits, answered only for local Host/Origin
   (:mod:`pyflare.runtime.guard`), then routed to the scheduled
   endpoints (:mod:`pyflare.runtime.endpoints`) or the ``local`` router (explorer, R2 S3 API); other
   ``/cdn-cgi/`` paths reach the worker, as in Miniflare;
2. the worker: :func:`pyflare.runtime.incoming.incoming_request` (Cloudflare's request limits, the one
   place request bodies are read), the fetch handler, :func:`pyflare.runtime.respond.send_response`;
3. a ``websocket`` scope: the upgrade (:mod:`pyflare.runtime.upgrade`), the same fetch handler answering it.
Every 500 of a worker that failed to load or threw is :func:`pyflare.runtime.respond.error_page`.

Everything per request is kept lean (``benchmarks/bench_http.py`` measures it against a raw ASGI app):
what can be decided once lives on the app object, not in the request path.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pyflare.kernel.tracing import TRACER
from pyflare.runtime import endpoints, upgrade
from pyflare.runtime.events import TracedFetch
from pyflare.runtime.guard import LOCAL_HOSTNAMES, local_request_refusal
from pyflare.runtime.incoming import (
    LOCAL_CF,
    MAX_REQUEST_BODY,
    TOO_LARGE,
    BodyTooLarge,
    ClientDisconnected,
    Refused,
    head_refusal,
    incoming_request,
)
from pyflare.runtime.respond import error_page, plain, send_plain, send_response
from pyflare.runtime.runtime import Runtime
from pyflare.runtime.worker import WorkerLoadError

log = logging.getLogger("pyflare")

WEBSOCKET_WITHOUT_UPGRADE = ('Worker tried to return a WebSocket in a response to a request which did not contain '
                             'the header "Upgrade: websocket".')

__all__ = ["LOCAL_CF", "MAX_REQUEST_BODY", "AccessLog", "WorkerApp"]

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


class AccessLog:
    """One line per request on stderr: method, path, status, duration (``fmt``: "pretty" or "json").

    Lines are written once per turn of the event loop, all together: under load that is one write for many
    requests instead of a system call (and a terminal redraw) per request. Call :meth:`flush` to write now.
    """

    def __init__(self, fmt: str | None) -> None:
        self.fmt = fmt
        self.json = fmt == "json"
        self._pending: list[str] = []

    def __call__(self, method: str, path: str, status: int, started: float) -> None:
        ms = (time.perf_counter() - started) * 1000
        if self.json:
            line = json.dumps({"type": "request", "method": method, "path": path, "status": status,
                               "duration_ms": round(ms, 2)}) + "\n"
        else:
            line = f"[pyflare] {method} {path} {status} ({ms:.1f}ms)\n"
        pending = self._pending
        pending.append(line)
        if len(pending) == 1:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:  # no loop running: write now
                self.flush()

    def flush(self) -> None:
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            sys.stderr.write(text)
            sys.stderr.flush()


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
        # Host names whose requests may use pyflare's own endpoints; pyflare dev adds its --ip.
        self.local_hosts: frozenset[str] = LOCAL_HOSTNAMES
        # pyflare dev --test-scheduled: /__scheduled runs the scheduled handler instead of reaching the worker.
        self.test_scheduled = False
        # pyflare's endpoints under /cdn-cgi/local/ (explorer, R2 S3 API, public buckets); set by Pyflare.
        self.local: ASGIApp | None = None
        # Called like the access log after every request (the explorer's live request view).
        self.observer: Callable[[str, str, int, float], None] | None = None
        # Answers a request before the worker (static assets), or returns None to let the worker have it.
        self.front: Callable[[Any], Awaitable[Any]] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await self.http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            started = time.perf_counter()

            def answered(status: int) -> None:  # logged when the handshake is answered, not when it ends
                for log_request in (self.access_log, self.observer):
                    if log_request is not None:
                        log_request("GET", scope["path"], status, started)

            await upgrade.serve(self.runtime, scope, receive, send, dev=self.dev, answered=answered)

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
        access_log = self.access_log
        started = time.perf_counter() if access_log is not None or self.observer is not None else 0.0
        path: str = scope["path"]
        if path.startswith("/cdn-cgi/") or (self.test_scheduled and path == endpoints.TEST_SCHEDULED_PATH):
            status = await self._owned(scope, receive, send, path)
        else:
            status = await self._dispatch(scope, receive, send)
        if access_log is not None:
            access_log(scope["method"], path, status, started)
        if self.observer is not None:  # the explorer's live request view
            self.observer(scope["method"], path, status, started)

    async def _owned(self, scope: dict[str, Any], receive: Any, send: Any, path: str) -> int:
        """pyflare's own endpoints: Cloudflare's request limits, local requests only, then the scheduled paths
        or the ``local`` router."""
        too_large = head_refusal(scope)
        if too_large is not None:
            return await send_plain(send, *plain(too_large.status, too_large.text))
        refusal = local_request_refusal(scope["headers"], self.local_hosts)
        if refusal is not None:
            return await send_plain(send, *plain(403, refusal))
        path = endpoints.current_path(path)
        if path == endpoints.SCHEDULED_PATH or path == endpoints.TEST_SCHEDULED_PATH:
            return await endpoints.scheduled(self.runtime, scope, send,
                                             test_scheduled=path == endpoints.TEST_SCHEDULED_PATH)
        if self.local is not None and path.startswith("/cdn-cgi/local/"):
            return await self._local({**scope, "path": path, "pyflare.local_hosts": self.local_hosts}, receive, send)
        return await self._dispatch(scope, receive, send)  # other /cdn-cgi/ paths reach the worker, as in Miniflare

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

    async def _dispatch(self, scope: dict[str, Any], receive: Any, send: Any) -> int:
        tracer = self.runtime.stash.get(TRACER, None)
        if tracer is None:
            return await self._serve(scope, receive, send, None)
        traced = TracedFetch(tracer)
        try:
            status = await self._serve(scope, receive, send, traced)
        except BaseException as exc:  # cancelled (the server stopping mid-response): closed as canceled
            traced.end(None, exc)
            raise
        traced.end(status)
        return status

    async def _serve(self, scope: dict[str, Any], receive: Any, send: Any, traced: TracedFetch | None) -> int:
        try:
            request = await incoming_request(scope, receive)
            response = await self.front(request) if self.front is not None else None
            if response is None:
                if traced is not None:  # the worker runs: its invocation starts (assets answered above are not one)
                    traced.start(request)
                response = await self.runtime.fetch(request)
            if getattr(response, "web_socket", None) is not None:  # only an upgrade gets a socket (workerd's text)
                raise TypeError(WEBSOCKET_WITHOUT_UPGRADE)
        except Refused as refused:
            return await send_plain(send, *plain(refused.status, refused.text))
        except BodyTooLarge:
            return await send_plain(send, *plain(TOO_LARGE.status, TOO_LARGE.text))
        except ClientDisconnected:
            log.warning("%s %s: the client disconnected before sending the whole request body; the worker's "
                        "body read failed and nothing was answered", scope["method"], scope["path"])
            if traced is not None:
                traced.cancel()
            return 499  # nginx's "client closed request", for the access log only
        except WorkerLoadError as exc:
            if traced is not None:
                traced.fail(exc)
            return await send_plain(send, *error_page(exc, dev=self.dev))
        except Exception as exc:
            log.error("Uncaught exception in fetch handler for %s %s", scope["method"], scope["path"], exc_info=exc)
            if traced is not None:
                traced.fail(exc)
            return await send_plain(send, *error_page(exc, dev=self.dev))
        body = request._body
        received = body is None or type(body) is bytes or getattr(body, "finished", False)
        return await send_response(send, response, scope["method"], receive if received else None)
