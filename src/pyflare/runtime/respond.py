"""Answering over ASGI: a ``workers.Response`` with the framing Cloudflare gives it, pyflare's own small
text answers, and the one error page (:func:`error_page`) for a worker that failed to load or threw.

- A body in hand gets ``content-length`` (unless the worker set one).
- 204 and 304 (and 1xx) carry no body and no ``content-length`` of pyflare's making.
- A streamed body whose length is known (an R2 object's body, say) is sent with ``content-length``, for HEAD
  too, where the stream is not read at all; a stream of unknown length is sent chunked.
- While a body streams, a client that disconnects cancels the stream (given ``receive``, once the request
  body has been read): the code producing it learns the client is gone (``workers.asgi`` reports
  ``http.disconnect`` to the app) instead of writing into nothing until it is done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pyflare.runtime.errors import format_user_traceback
from pyflare.runtime.worker import WorkerLoadError
from pyflare.workers import Response
from pyflare.workers.host import header_items, take_body

log = logging.getLogger("pyflare")

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]

NO_BODY_STATUSES = frozenset((101, 103, 204, 304))
_EMPTY_END = {"type": "http.response.body", "body": b"", "more_body": False}
_FRAMING = frozenset(("content-length", "transfer-encoding"))
DISCONNECTED = "Network connection lost."


def plain(status: int, text: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """A small text/plain answer of pyflare's own (limits, errors, endpoints)."""
    body = text.encode()
    return status, [(b"content-type", b"text/plain;charset=UTF-8"), (b"content-length", str(len(body)).encode())], body


def error_page(exc: BaseException, *, dev: bool) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The 500 answer for a request whose worker failed to load or threw ``exc``: the traceback (the worker's
    frames) under ``pyflare dev`` and in tests (``dev=True``), production's text otherwise."""
    if isinstance(exc, WorkerLoadError):
        return plain(500, f"The worker failed to load.\n\n{exc.details or exc}")
    if dev:
        return plain(500, "Worker threw exception\n\n" + format_user_traceback(exc))
    return plain(500, "Error 1101: Worker threw exception")


async def send_plain(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    return status


async def send_response(send: Send, response: Response, method: str, receive: Receive | None = None) -> int:
    """Send ``response``; returns its status (for the access log). ``receive``: the connection's, to notice a
    client that goes away while a body streams (give it only once the request body has been read)."""
    status = response.status
    raw = []
    framed = encoded = False  # did the worker frame the body itself / encode it (changing its length)?
    for name, value in header_items(response.headers):
        if name in _FRAMING:
            framed = True
        elif name == "content-encoding":
            encoded = True
        raw.append((name.encode("latin-1"), value.encode("latin-1")))
    body = take_body(response)
    no_body = status in NO_BODY_STATUSES
    if body is None or type(body) is bytes:
        if not no_body and not framed:
            raw.append((b"content-length", b"%d" % len(body or b"")))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": b"" if no_body or method == "HEAD" or body is None else body})
        return status
    length = getattr(body, "length", None)
    if length is not None and not no_body and not framed and not encoded:
        raw.append((b"content-length", b"%d" % length))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    if no_body or method == "HEAD":
        await _close(body)
        await send(_EMPTY_END)
        return status
    watcher = asyncio.ensure_future(_cancel_on_disconnect(receive, body)) if receive is not None else None
    gone = False
    try:
        async for chunk in body:
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if watcher is not None and watcher.done():
                gone = True  # the client went away
                break
    except Exception as exc:  # headers are gone already: log and end the body
        log.error("Error while streaming the response body: %s: %s", type(exc).__name__, exc, exc_info=exc)
    finally:
        if watcher is not None:
            watcher.cancel()
    if gone:  # a stream that was busy when the client left is cancelled now that it is not
        await _cancel(body, DISCONNECTED)
    await send(_EMPTY_END)
    return status


async def _cancel_on_disconnect(receive: Receive, body: Any) -> None:
    """Wait for the client to go away, then cancel the body stream (as workerd cancels it)."""
    while (await receive())["type"] != "http.disconnect":
        pass
    await _cancel(body, DISCONNECTED)


async def _cancel(stream: Any, reason: str) -> None:
    cancel = getattr(stream, "cancel", None)
    if cancel is None:
        await _close(stream)
        return
    try:
        await cancel(reason)
    except Exception:  # a stream that fails to cancel has nothing left to send anyway
        pass


async def _close(stream: Any) -> None:
    close = getattr(stream, "aclose", None)
    if close is not None:
        try:
            await close()
        except Exception:  # a stream that fails to close has nothing left to send anyway
            pass
