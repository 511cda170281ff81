"""``workers.asgi``: serve a request with an ASGI app (FastAPI, Starlette, FastMCP...), as Cloudflare does.

This follows the adapter of Cloudflare's ``workers-runtime-sdk`` 1.9.5 (``workers/asgi.py``, October 2026):

- ``fetch(app, request, env, ctx=None, *, options=None)`` runs one ASGI lifespan cycle per request: the
  ``lifespan.startup`` is acknowledged before the app sees the request, a copy of the lifespan ``state`` is
  in the request's scope, and ``lifespan.shutdown`` follows the response (for a streamed response, once the
  app has sent its last chunk; until then it runs under ``wait_until``). An app without lifespan support
  (it returns, or raises, before acknowledging startup) is served without one. ``lifespan.startup.failed``
  fails the request with one line, ``RuntimeError: ASGI lifespan startup failed: <the app's reason>``.
- The scope has Cloudflare's keys: ``type``, ``asgi`` (spec 2.0), ``http_version``, ``method``,
  ``scheme``, ``path`` (percent-decoded), ``raw_path``, ``query_string``, ``headers``, ``env``, ``state``.
- The request body reaches ``receive()`` chunk by chunk as it arrives, then an empty ``more_body: False``.
  After that ``receive()`` waits, and answers ``http.disconnect`` only once the response is complete or the
  client has gone away (so Starlette's ``StreamingResponse`` keeps streaming).
- A body sent in one ``http.response.body`` message is a plain Response; a first chunk with
  ``more_body: True`` makes a streamed Response at once, fed chunk by chunk with backpressure (one chunk
  waits unread at most). Statuses 101/103/204/205/304 carry no body.
- An exception before the response fails the request; after it started streaming, it is logged and the
  body ends there.

Where pyflare differs: a write after the client disconnected is dropped silently (ASGI 2.0's rule) instead
of raising inside the app, and the request body is not read in full before the app starts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from pyflare.kernel.context import current_worker
from pyflare.workers._entrypoints import WorkerEntrypoint
from pyflare.workers._response import Response
from pyflare.workers._streams import StreamChannel
from pyflare.workers.gateway import BaseOptions

ASGI = {"spec_version": "2.0", "version": "3.0"}
NULL_BODY_STATUSES = frozenset({101, 103, 204, 205, 304})
logger = logging.getLogger("asgi")
background_tasks: set[asyncio.Future[Any]] = set()

Message = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Options(BaseOptions):
    """Options for the ASGI adapter (see :class:`pyflare.workers.gateway.BaseOptions`)."""


DEFAULT_OPTIONS = Options()


def run_in_background(coro: Awaitable[Any]) -> asyncio.Future[Any]:
    """Run ``coro`` as a task that is kept alive until it ends; its failure is logged."""
    future = asyncio.ensure_future(coro)
    background_tasks.add(future)

    def done(finished: asyncio.Future[Any]) -> None:
        background_tasks.discard(finished)
        error = finished.exception() if not finished.cancelled() else None
        if error is not None:
            logger.error("Unhandled exception in background task", exc_info=error)

    future.add_done_callback(done)
    return future


def _keep_until_done(future: asyncio.Future[Any]) -> None:
    """``wait_until`` for the worker running this code (a test calling the adapter directly has none)."""
    worker = current_worker.get()
    if worker is not None:
        worker.spawn(future, "asgi response")


def request_to_scope(req: Any, env: Any, ws: bool = False, state: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ASGI connection scope for ``req`` (a ``workers.Request`` or ``js.Request``)."""
    url = urlsplit(req.url)
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in req.headers.items()]
    path = url.path or "/"
    scope: dict[str, Any] = {
        "asgi": ASGI,
        "headers": headers,
        "http_version": "1.1",
        "method": req.method,
        "scheme": url.scheme,
        "path": unquote(path),  # ASGI's path is percent-decoded; raw_path keeps what was sent
        "raw_path": path.encode("latin-1"),
        "query_string": url.query.encode("latin-1"),
        "type": "websocket" if ws else "http",
        "env": env,
    }
    if state is not None:
        scope["state"] = dict(state)  # each request gets a shallow copy of the lifespan state
    return scope


def _startup_failed(message: str) -> RuntimeError:
    """The error for ``lifespan.startup.failed``: a RuntimeError as on Cloudflare, whose one line says why
    (Starlette sends a whole traceback as the message: its last line is the reason). It is marked so that
    pyflare shows it without a stack: the line says everything."""
    reason = _reason(message)
    error = RuntimeError(f"ASGI lifespan startup failed: {reason}" if reason else "ASGI lifespan startup failed")
    error.pyflare_worker_mistake = True  # type: ignore[attr-defined] - see pyflare.runtime.errors
    return error


def _reason(message: str) -> str:
    """The line that says why, from a ``lifespan.startup.failed`` message (Starlette sends a traceback)."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return lines[-1] if lines else message


async def start_application(app: Any) -> tuple[Callable[[], Awaitable[None]], dict[str, Any]]:
    """Drive the app's lifespan startup; returns ``(shutdown, state)``."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    state: dict[str, Any] = {}
    inbox.put_nowait({"type": "lifespan.startup"})
    loop = asyncio.get_running_loop()
    startup: asyncio.Future[bool] = loop.create_future()  # True: started; False: no lifespan support
    shutdown_complete: asyncio.Future[None] = loop.create_future()

    async def shutdown() -> None:
        await inbox.put({"type": "lifespan.shutdown"})
        await shutdown_complete

    async def no_lifespan_shutdown() -> None:
        return None

    async def receive() -> Message:
        return await inbox.get()

    async def send(message: Message) -> None:
        kind = message["type"]
        if kind == "lifespan.startup.complete":
            if not startup.done():
                startup.set_result(True)
        elif kind == "lifespan.startup.failed":
            if not startup.done():
                startup.set_exception(_startup_failed(message.get("message") or ""))
        elif kind == "lifespan.shutdown.complete":
            if not shutdown_complete.done():
                shutdown_complete.set_result(None)
        elif kind == "lifespan.shutdown.failed":
            if not shutdown_complete.done():
                shutdown_complete.set_exception(
                    RuntimeError(message.get("message") or "ASGI lifespan shutdown failed"))
        else:
            raise RuntimeError(f"Unexpected lifespan event {kind}")

    async def run_lifespan() -> None:
        try:
            await app({"asgi": ASGI, "state": state, "type": "lifespan"}, receive, send)
            if not startup.done():  # returned without acknowledging: no lifespan support
                startup.set_result(False)
            elif not shutdown_complete.done():
                shutdown_complete.set_result(None)
        except Exception as exc:
            if not startup.done():  # raised before acknowledging: the app does not do lifespan
                logger.debug("ASGI lifespan task raised before reporting startup; treating the app as not "
                             "supporting lifespan", exc_info=exc)
                startup.set_result(False)
                return
            if startup.exception() is None:  # a failed startup was reported already, in one line
                logger.error("Exception in ASGI lifespan application", exc_info=exc)
            if not shutdown_complete.done():
                shutdown_complete.set_result(None)

    run_in_background(run_lifespan())
    if not await startup:
        return no_lifespan_shutdown, state
    return shutdown, state


async def process_request(
    app: Any,
    req: Any,
    env: Any,
    ctx: Any = None,
    state: dict[str, Any] | None = None,
    options: Options = DEFAULT_OPTIONS,
) -> tuple[Response, asyncio.Future[None]]:
    """Run ``app`` for ``req``; returns the Response (as soon as it can be built) and the app's task."""
    loop = asyncio.get_running_loop()
    result: asyncio.Future[Response] = loop.create_future()
    finished = asyncio.Event()  # the response is complete, or the client is gone: receive() may say disconnect
    status = 200
    headers: list[tuple[str, str]] = []
    channel: StreamChannel | None = None
    body = req.body
    chunks = aiter(body) if body is not None else None
    body_done = False

    async def receive() -> Message:
        nonlocal body_done
        if not body_done:
            if chunks is not None:
                try:
                    chunk = await anext(chunks)
                except StopAsyncIteration:
                    pass
                except Exception:  # the client went away before sending the whole body
                    body_done = True
                    finished.set()
                    return {"type": "http.disconnect"}
                else:
                    return {"type": "http.request", "body": bytes(chunk), "more_body": True}
            body_done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status, headers, channel
        kind = message["type"]
        if kind == "http.response.start":
            status = message["status"]
            # A name may repeat (several Set-Cookie), so these stay pairs.
            headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])]
        elif kind == "http.response.body":
            chunk = message.get("body", b"")
            more = message.get("more_body", False)
            if channel is not None:
                if channel.cancelled or channel.closed:  # the client went away: ASGI 2.0 drops the write
                    return
                await _write(channel, chunk)
                if not more:
                    channel.close()
                    finished.set()
            elif more:  # the first of several chunks: respond now, stream the rest
                channel = StreamChannel(on_cancel=finished.set)
                result.set_result(Response(channel.readable, status=status, headers=headers))
                await _write(channel, chunk)
            elif status in NULL_BODY_STATUSES:
                result.set_result(Response(None, status=status, headers=headers))
                finished.set()
            else:
                result.set_result(Response(bytes(chunk), status=status, headers=headers))
                finished.set()

    async def run_app() -> None:
        try:
            await app(request_to_scope(req, env, state=state), receive, send)
            if not result.done():
                raise RuntimeError("The application did not generate a response")
        except Exception as exc:
            if not result.done():
                result.set_exception(exc)
            else:
                logger.error("Exception in ASGI application after response started", exc_info=exc)
        finally:
            if channel is not None:
                channel.close()  # the body ends where the app stopped, as Cloudflare ends it
            finished.set()

    request_task = asyncio.ensure_future(run_app())
    try:
        response = await result
    except asyncio.CancelledError:
        request_task.cancel()
        raise
    except Exception:
        await request_task  # it has handled the app's exception; let it finish first
        raise
    if channel is None:  # a buffered response: the app has finished (or finishes now)
        await request_task
    return response, request_task


async def _write(channel: StreamChannel, chunk: bytes) -> None:
    try:
        await channel.write(chunk)
    except Exception:  # cancelled by the reader while waiting: the client is gone, the write is dropped
        if not channel.cancelled:
            raise


async def fetch(app: Any, req: Any, env: Any, ctx: Any = None, *, options: Options | None = None) -> Response:
    """Serve ``req`` with the ASGI ``app``; the scope carries ``env`` (``request.scope["env"]``)."""
    logger.debug("ASGI request: %s %s", req.method, req.url)
    shutdown, state = await start_application(app)
    try:
        response, request_task = await process_request(app, req, env, ctx, state=state,
                                                       options=options or DEFAULT_OPTIONS)
    except Exception as exc:
        logger.error("ASGI request failed: %s: %s", type(exc).__name__, exc)
        await shutdown()
        raise
    if request_task.done():
        await shutdown()
    else:  # a streamed response: shut down once the app has sent its last chunk

        async def finalize_request() -> None:
            try:
                await request_task
            finally:
                await shutdown()

        _keep_until_done(run_in_background(finalize_request()))
    return response


async def process_websocket(app: Any, req: Any, env: Any = None) -> Response:
    """Accept a WebSocket for the app's ``websocket`` scope (the upgrade response is returned at once)."""
    from pyflare.websockets.socket import WebSocketPair

    client, server = WebSocketPair.new().object_values()
    server.accept()
    server.binaryType = "arraybuffer"
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    inbox.put_nowait({"type": "websocket.connect"})
    app_closed = False

    def onclose(event: Any) -> None:
        inbox.put_nowait({"type": "websocket.disconnect", "code": event.code, "reason": event.reason})

    def onmessage(event: Any) -> None:
        data = event.data
        if isinstance(data, str):
            inbox.put_nowait({"type": "websocket.receive", "text": data})
        else:
            inbox.put_nowait({"type": "websocket.receive", "bytes": data.to_bytes()})

    server.onclose = onclose
    server.onmessage = onmessage

    async def ws_receive() -> Message:
        return await inbox.get()

    async def ws_send(message: Message) -> None:
        nonlocal app_closed
        kind = message["type"]
        if kind == "websocket.send":
            if message.get("bytes") is not None:
                server.send(bytes(message["bytes"]))
            if message.get("text") is not None:
                server.send(message["text"])
        elif kind == "websocket.close":
            app_closed = True
            server.close(message.get("code", 1000), message.get("reason", ""))

    task = run_in_background(app(request_to_scope(req, env if env is not None else {}, ws=True), ws_receive,
                                 ws_send))

    def close_transport(done: asyncio.Future[Any]) -> None:
        if not app_closed:  # the app ended without closing: do not leave the client hanging
            failed = not done.cancelled() and done.exception() is not None
            try:
                server.close(1011 if failed else 1000, "")
            except Exception:  # the peer closed already
                pass

    task.add_done_callback(close_transport)
    _keep_until_done(task)
    return Response(None, status=101, web_socket=client)


async def websocket(app: Any, req: Any, env: Any = None) -> Response:
    return await process_websocket(app, req, env)


def entrypoint(app: Any, *, options: Options | None = None) -> type[WorkerEntrypoint]:
    """``Default = asgi.entrypoint(app)``: a Default entrypoint serving ``app`` (WebSockets too)."""

    class Default(WorkerEntrypoint):
        async def fetch(self, request: Any) -> Response:
            if (request.headers.get("upgrade") or "").lower() == "websocket":
                return await websocket(app, request, self.env)
            return await fetch(app, request, self.env, self.ctx, options=options)

    return Default


def __getattr__(name: str) -> Any:
    if name == "env":  # FastAPI's dependency: ``env = Depends(asgi.env)``-style ``asgi.env``
        from fastapi import Depends, Request

        @Depends
        async def env(request: Request) -> Any:
            return request.scope["env"]

        return env
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ASGI", "DEFAULT_OPTIONS", "NULL_BODY_STATUSES", "Options", "entrypoint", "fetch", "process_request",
    "process_websocket", "request_to_scope", "run_in_background", "start_application", "websocket",
]
