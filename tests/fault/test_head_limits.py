"""Cloudflare's request head limits hold on every server stack (uvicorn's httptools and h11 protocols, as
``pyflare dev`` runs them) and on every endpoint, answered as soon as a limit is passed: the parser never
holds more than the limits, whatever the client sends after (runtime.server)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvicorn
from tests.conftest import serve_on_loopback
from uvicorn.server import ServerState

from pyflare.runtime.incoming import MAX_HEADERS_TOTAL, MAX_URL
from pyflare.runtime.server import protocol_class

CONFIG = """
name = "heads"
main = "src/entry.py"
compatibility_date = "2025-11-01"

[[r2_buckets]]
binding = "B"
bucket_name = "b"
local_dev = { experimental_s3_credentials = { accessKeyId = "key", secretAccessKey = "secret" } }
"""

ENTRY = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        body = await request.text()
        return Response(f"{request.method} {len(body)} {len(request.headers.get('x-big') or '')}")
"""

PARSERS = ["httptools", "h11"]


class Transport(asyncio.Transport):
    """Records what a protocol writes; never closes anything real."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.eof = False
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written += data

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof = True

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 1), "sockname": ("127.0.0.1", 2)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def app(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("a refused request never reaches the app")


def connect(parser: str) -> tuple[Any, Transport, list[int]]:
    """A protocol as uvicorn makes one per connection, and the bytes its parser was given."""
    config = uvicorn.Config(app, http=protocol_class(parser), lifespan="off", log_level="warning")
    config.load()
    protocol = config.http_protocol_class(config=config, server_state=ServerState(), app_state={})
    transport = Transport()
    protocol.connection_made(transport)
    fed: list[int] = []
    if parser == "httptools":
        parse = protocol.parser

        class Counting:
            def __getattr__(self, name: str) -> Any:
                return getattr(parse, name)

            def feed_data(self, data: bytes) -> None:
                fed.append(len(data))
                parse.feed_data(data)

        protocol.parser = Counting()
    else:
        receive = protocol.conn.receive_data

        def counting(data: bytes) -> None:
            fed.append(len(data))
            receive(data)

        protocol.conn.receive_data = counting
    return protocol, transport, fed


@pytest.mark.parametrize("parser", PARSERS)
async def test_a_huge_header_is_refused_before_the_parser_holds_more_than_the_limit(parser: str) -> None:
    protocol, transport, fed = connect(parser)
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ")
    chunk = b"v" * 65536
    for _ in range(1024):  # 64 MiB, as a client that keeps sending would
        protocol.data_received(chunk)
    assert transport.written.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert b"128 KB" in transport.written
    assert transport.eof  # the answer, then the end of our side; the rest of what arrives is dropped
    assert sum(fed) <= MAX_HEADERS_TOTAL + 256
    protocol.connection_lost(None)


@pytest.mark.parametrize("parser", PARSERS)
async def test_a_huge_url_is_refused_with_414_as_it_arrives(parser: str) -> None:
    protocol, transport, fed = connect(parser)
    protocol.data_received(b"GET /")
    for _ in range(64):
        protocol.data_received(b"a" * 65536)
    assert transport.written.startswith(b"HTTP/1.1 414 ") and b"16 KB" in transport.written
    assert sum(fed) <= MAX_URL + 256
    protocol.connection_lost(None)


@pytest.fixture
async def served(start_worker: Any) -> Any:
    mf = await start_worker(CONFIG, {"src/entry.py": ENTRY})

    async def start(parser: str) -> Any:
        return serve_on_loopback(mf.asgi_app, http=parser)

    return start


async def exchange(url: str, data: bytes) -> bytes:
    host, port = url.rsplit("/", 1)[1].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(data)
    try:
        await writer.drain()
    except ConnectionError:
        pass  # the server answered and closed before taking everything
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


@pytest.mark.parametrize("parser", PARSERS)
async def test_every_endpoint_answers_431_for_a_header_over_16kb(served: Any, parser: str) -> None:
    async with await served(parser) as url:
        for path in ("/", "/cdn-cgi/local/r2/s3/b", "/cdn-cgi/local/explorer/api/"):
            answer = await exchange(url, f"GET {path} HTTP/1.1\r\nHost: localhost\r\nX-Big: {'v' * 20000}\r\n"
                                         f"Connection: close\r\n\r\n".encode())
            assert answer.startswith(b"HTTP/1.1 431 "), (path, answer[:80])


@pytest.mark.parametrize("parser", PARSERS)
async def test_a_megabytes_long_head_gets_431_over_a_socket(served: Any, parser: str) -> None:
    async with await served(parser) as url:
        head = b"GET /cdn-cgi/local/r2/s3/b HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"v" * (8 << 20) + b"\r\n\r\n"
        assert (await exchange(url, head)).startswith(b"HTTP/1.1 431 ")


@pytest.mark.parametrize("parser", PARSERS)
async def test_heads_within_the_limits_and_bodies_of_any_size_still_pass(served: Any, parser: str) -> None:
    async with await served(parser) as url:
        body = b"b" * 300_000  # arrives with the head in one write: only the head is counted
        big = "v" * 15000  # one header just under 16 KB, and 120 KB of headers in all
        others = "".join(f"X-H{i}: {'h' * 14000}\r\n" for i in range(7))
        request = (f"POST / HTTP/1.1\r\nHost: localhost\r\nX-Big: {big}\r\n{others}Content-Length: {len(body)}\r\n\r\n"
                   ).encode() + body
        answer = await exchange(url, request + request.replace(b"POST / HTTP/1.1\r\n",
                                                               b"POST / HTTP/1.1\r\nConnection: close\r\n"))
        assert answer.count(b"HTTP/1.1 200 ") == 2, answer[:200]
        assert answer.count(b"POST 300000 15000") == 2


async def test_in_process_requests_to_pyflare_endpoints_are_held_to_the_limits_too(start_worker: Any) -> None:
    mf = await start_worker(CONFIG, {"src/entry.py": ENTRY})
    assert (await mf.dispatch_fetch("/cdn-cgi/local/r2/s3/b", headers={"x-big": "v" * 20000})).status_code == 431
    assert (await mf.dispatch_fetch("/cdn-cgi/local/explorer/api/" + "a" * 17000)).status_code == 414


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 65536])
def test_a_head_split_anywhere_is_counted_the_same(piece: int) -> None:
    from pyflare.runtime.server import _HeadCounter

    def feed(data: bytes) -> Any:
        counter = _HeadCounter()
        for at in range(0, len(data), piece):
            refusal = counter.feed(data[at:at + piece])
            if refusal is not None:
                return refusal.status
        return counter.headers  # 0 once a head has ended (the counter starts over for the next one)

    lines = "".join(f"X-H{i}: {'v' * 900}\r\n" for i in range(100))  # about 90 KB of headers
    within = f"\r\nGET / HTTP/1.1\r\nHost: a\r\n{lines}\r\n".encode() + b"body\n\n\r\n"
    assert feed(within) == 0
    assert feed(within.replace(b"\r\n", b"\n")) == 0  # bare LF line ends
    over = f"GET / HTTP/1.1\r\nHost: a\r\n{lines}{lines}\r\n".encode()  # about 180 KB
    assert feed(over) == 431
    assert feed(b"GET /" + b"a" * 17000 + b" HTTP/1.1\r\n\r\n") == 414
