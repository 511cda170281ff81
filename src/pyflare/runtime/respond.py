"""Answering over ASGI: a ``workers.Response`` with the framing Cloudflare gives it, pyflare's own small
text answers, and the one error page (:func:`error_page`) for a worker that failed to load or threw.

- A body in hand gets ``content-length`` (unless the worker set one).
- 204 and 304 (and 1xx) carry no body and no ``content-length`` of pyflare's making.
- A streamed body whose length is known (an R2 object's body, say) is sent with ``content-length``, for HEAD
  too, where the stream is not read at all; a stream of unknown length is sent chunked.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pyflare.runtime.errors import format_user_traceback
from pyflare.runtime.worker import WorkerLoadError
from pyflare.workers import Response

log = logging.getLogger("pyflare")

Send = Callable[[dict[str, Any]], Awaitable[None]]

NO_BODY_STATUSES = frozenset((101, 103, 204, 304))
_EMPTY_END = {"type": "http.response.body", "body": b"", "more_body": False}
_FRAMING = frozenset(("content-length", "transfer-encoding"))


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


async def send_response(send: Send, response: Response, method: str) -> int:
    """Send ``response``; returns its status (for the access log)."""
    status = response.status
    raw = []
    framed = encoded = False  # did the worker frame the body itself / encode it (changing its length)?
    for name, value in response.headers._items:
        if name in _FRAMING:
            framed = True
        elif name == "content-encoding":
            encoded = True
        raw.append((name.encode("latin-1"), value.encode("latin-1")))
    body = response._take()
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
    try:
        async for chunk in body:
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except Exception as exc:  # headers are gone already: log and end the body
        log.error("Error while streaming the response body: %s: %s", type(exc).__name__, exc, exc_info=exc)
    await send(_EMPTY_END)
    return status


async def _close(stream: Any) -> None:
    close = getattr(stream, "aclose", None)
    if close is not None:
        try:
            await close()
        except Exception:  # a stream that fails to close has nothing left to send anyway
            pass
