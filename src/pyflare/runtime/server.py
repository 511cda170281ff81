"""The server front: uvicorn's HTTP protocols with Cloudflare's request head limits counted as bytes arrive.

uvicorn hands a request to the app only once its whole head is parsed, and its parsers keep what they have
read so far: httptools without any limit (a 64 MiB header took 11 s to refuse, stalled every other request
on the loop and left the process 64 MiB larger), h11 with one that answers ``400``. So the limits the app
checks (:mod:`pyflare.runtime.incoming`) are also counted here, on the raw bytes, before the parser sees
them: a request line longer than the URL limit gets ``414``, a head whose header section passes 128 KB gets
``431``, at once, on every endpoint (the worker, the explorer, the S3 API), with the connection closed and
what the client still sends discarded unread. The exact per-header and per-URL rules stay in the app, which
also serves in-process requests that never pass through a socket.

:func:`protocol_class` gives the protocol for uvicorn's ``http`` option (``httptools``, or ``h11`` where
httptools is missing); :func:`server_options` is what ``pyflare dev`` and the test servers pass to
``uvicorn.Config``.
"""

from __future__ import annotations

import asyncio
import functools
import http
import importlib.util
from typing import Any

from pyflare.runtime.incoming import HEADERS_TOO_LARGE, MAX_HEADERS_TOTAL, MAX_URL, URL_TOO_LONG, Refused

# What the head may hold beyond the URL itself: the method, spaces and "HTTP/1.1", with room to spare. The
# app decides the exact URL length (scheme and host included); the front only stops what is certainly over.
_REQUEST_LINE_SLACK = 64
# Once a head is refused, what the client still sends is read and dropped (so it sees the answer rather than
# a reset) for this long at most, then the connection is closed.
LINGER_SECONDS = 1.0
# What h11 may buffer of a head before it gives up with 400: more than a head the front lets through.
_H11_BUFFER = 2 * (MAX_URL + MAX_HEADERS_TOTAL)


class _HeadCounter:
    """Counts one request head's bytes (request line, then header section) over however many chunks."""

    __slots__ = ("line", "line_done", "headers", "carry")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.line = 0  # bytes of the request line so far
        self.line_done = False
        self.headers = 0  # bytes of the header section so far
        self.carry = b""  # the last bytes of the previous chunk, to find a CRLF CRLF split between chunks

    def feed(self, data: bytes) -> Refused | None:
        """Count ``data``; the refusal if it takes the head past a limit.

        Only searches and counts: nothing of ``data`` is copied, so a body arriving with its head costs no more
        than finding where the head ends."""
        start = 0
        if not self.line_done:
            if self.line == 0:  # the parsers skip blank lines before a request line
                while start < len(data) and data[start] in _CRLF:
                    start += 1
            end = data.find(b"\n", start)
            self.line += (len(data) if end < 0 else end + 1) - start
            if self.line > MAX_URL + _REQUEST_LINE_SLACK:
                return URL_TOO_LONG
            if end < 0:
                return None
            self.line_done = True
            start = end + 1
            self.carry = b"\n"  # so an empty line right after the request line ends the head too
        stop = _head_end(self.carry, data, start)
        self.headers += (len(data) if stop < 0 else stop) - start
        if self.headers > MAX_HEADERS_TOTAL:
            return HEADERS_TOO_LARGE
        if stop >= 0:  # the rest of the chunk is a body (or, pipelined, the next head: not counted)
            self.reset()
        else:
            self.carry = (self.carry + data[max(start, len(data) - 2):])[-2:]  # head bytes only
        return None


_CRLF = b"\r\n"


def _head_end(carry: bytes, data: bytes, start: int) -> int:
    """Where in ``data`` the head ends (just past its empty line, CRLF or bare LF), or -1; ``carry`` is what the
    previous chunk ended with, for an empty line split between chunks."""
    if carry:
        joint = carry + data[start:start + 2]
        for mark in (b"\n\r\n", b"\n\n"):
            at = joint.find(mark)
            if 0 <= at < len(carry):  # the mark starts in the carry
                return start + at + len(mark) - len(carry)
    crlf = data.find(b"\n\r\n", start)
    bare = data.find(b"\n\n", start, len(data) if crlf < 0 else crlf + 2)
    if bare >= 0 and (crlf < 0 or bare < crlf):
        return bare + 2
    return crlf + 3 if crlf >= 0 else -1


class _HeadLimit:
    """What both protocols add: count while a head arrives, refuse past the limits, then linger and close."""

    transport: asyncio.Transport
    _counter: _HeadCounter
    _refused: bool

    def _limit_head(self, data: bytes) -> bool:
        """Count ``data`` as head bytes; False (and the answer sent) if the request is refused."""
        refusal = self._counter.feed(data)
        if refusal is None:
            return True
        self._refuse(refusal)
        return False

    def _refuse(self, refusal: Refused) -> None:
        self._refused = True
        body = refusal.text.encode()
        phrase = http.HTTPStatus(refusal.status).phrase.encode()
        self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: text/plain;charset=UTF-8\r\ncontent-length: %d\r\n"
                             b"connection: close\r\n\r\n%s" % (refusal.status, phrase, len(body), body))
        if self.transport.can_write_eof():
            self.transport.write_eof()  # the client reads the answer, then the end of the stream
        asyncio.get_running_loop().call_later(LINGER_SECONDS, self.transport.close)


def _httptools_protocol() -> type[asyncio.Protocol]:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class HeadLimitedHttpToolsProtocol(_HeadLimit, HttpToolsProtocol):
        """uvicorn's httptools protocol, counting head bytes before httptools buffers them."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._counter = _HeadCounter()
            self._refused = False
            self._in_body = False

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return  # lingering: dropped unread
            if not self._in_body and not self._limit_head(data):
                return
            super().data_received(data)

        def on_headers_complete(self) -> None:
            self._in_body = True
            self._counter.reset()
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._in_body = False
            super().on_message_complete()

    return HeadLimitedHttpToolsProtocol


def _h11_protocol() -> type[asyncio.Protocol]:
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    waiting_for_head = (h11.IDLE, h11.DONE)  # DONE: the next (pipelined) request is arriving

    class HeadLimitedH11Protocol(_HeadLimit, H11Protocol):
        """uvicorn's h11 protocol, answering 431/414 where h11 alone would answer 400."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # h11 answers 400 for a head it buffers past its limit (16 KiB unless configured): above ours.
            self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=_H11_BUFFER)
            self._counter = _HeadCounter()
            self._refused = False

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            if self.conn.their_state in waiting_for_head and not self._limit_head(data):
                return
            super().data_received(data)

    return HeadLimitedH11Protocol


_PROTOCOLS = {"httptools": _httptools_protocol, "h11": _h11_protocol}


@functools.cache
def protocol_class(http_parser: str = "auto") -> type[asyncio.Protocol]:
    """The protocol for uvicorn's ``http`` option: ``httptools`` (uvicorn's own choice when it is
    installed, as with uvicorn[standard]), ``h11``, or ``auto`` for whichever uvicorn would pick."""
    if http_parser == "auto":
        http_parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return _PROTOCOLS[http_parser]()


def server_options(http_parser: str = "auto") -> dict[str, Any]:
    """The ``uvicorn.Config`` options every pyflare server uses for the head limits."""
    return {"http": protocol_class(http_parser)}
