"""Streams made in Python: ReadableStream.new(start/pull) and a TransformStream's writer, as response bodies that
reach the client chunk by chunk (in-process and over a socket), with backpressure; readers over pyflare's own
streams (an R2 body); pipeTo/pipeThrough/tee; the compression and text streams."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from tests.conftest import serve_on_loopback

import pyflare.workers.js as js
from pyflare.kernel.jsdict import JsDict
from pyflare.testing.server import PyflareServer
from pyflare.workers._streams import NOT_BYTES
from pyflare.workers.pyodide.ffi import to_js

CONFIG = 'name = "t"\nmain = "src/entry.py"\n'

# A worker that streams: each chunk is written only once the previous one was read (TransformStream's
# backpressure), and the second chunk waits for /release, so a client that sees the first chunk before it
# asks for /release proves the body streams.
STREAMING_WORKER = """
    import asyncio
    from js import ReadableStream, TextEncoder, TransformStream
    from pyodide.ffi import to_js
    from workers import Response, WorkerEntrypoint

    released = asyncio.Event()
    log = []

    async def write_all(writer):
        encoder = TextEncoder.new()
        await writer.write(encoder.encode("first;"))
        log.append("first written")
        await released.wait()
        await writer.write(to_js(b"second;"))
        log.append("second written")
        await writer.close()

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            path = request.url.split("/", 3)[3]
            if path == "release":
                released.set()
                return Response("released")
            if path == "log":
                return Response(",".join(log))
            if path == "transform":
                stream = TransformStream.new()
                self.ctx.waitUntil(write_all(stream.writable.getWriter()))
                return Response(stream.readable, headers={"content-type": "text/plain"})
            if path == "pull":
                state = {"n": 0}

                async def pull(controller):
                    state["n"] += 1
                    log.append(f"pull {state['n']}")
                    if state["n"] == 2:
                        await released.wait()
                    if state["n"] > 3:
                        controller.close()
                    else:
                        controller.enqueue(to_js(f"chunk{state['n']};".encode()))

                return Response(ReadableStream.new(pull=pull))
            return Response("?", status=404)
"""


async def _asgi_stream(app: Any, path: str) -> tuple[asyncio.Queue, asyncio.Task]:
    """Call the ASGI app for GET ``path``; the queue receives each body chunk as the app sends it (None at
    the end)."""
    chunks: asyncio.Queue = asyncio.Queue()
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 1), "server": ("localhost", 80)}
    done = asyncio.Event()

    async def receive() -> dict:
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.body":
            if message.get("body"):
                await chunks.put(message["body"])
            if not message.get("more_body"):
                await chunks.put(None)
                done.set()

    return chunks, asyncio.ensure_future(app(scope, receive, send))


async def test_a_transform_streams_readable_side_streams_in_process_chunk_by_chunk(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": STREAMING_WORKER})
    chunks, task = await _asgi_stream(mf.asgi_app, "/transform")
    assert await asyncio.wait_for(chunks.get(), 10) == b"first;"
    assert (await mf.dispatch_fetch("/log")).text == "first written"  # the second write has not happened
    await mf.dispatch_fetch("/release")
    assert await asyncio.wait_for(chunks.get(), 10) == b"second;"
    assert await asyncio.wait_for(chunks.get(), 10) is None
    await task


async def test_a_readable_streams_pull_runs_only_as_the_client_reads_over_a_socket(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": STREAMING_WORKER})
    async with serve_on_loopback(mf.asgi_app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        async with client.stream("GET", "/pull") as response:
            assert response.headers["transfer-encoding"] == "chunked"
            pieces = response.aiter_raw()
            assert await anext(pieces) == b"chunk1;"
            # pull 2 waits for /release; the high-water mark of 1 kept pull 3 from running ahead
            assert (await client.get("/log")).text == "pull 1,pull 2"
            await client.get("/release")
            rest = b"".join([piece async for piece in pieces])
    assert rest == b"chunk2;chunk3;"
    assert (await mf.dispatch_fetch("/log")).text == "pull 1,pull 2,pull 3,pull 4"


async def test_pyflare_dev_streams_a_transform_streams_chunks(worker_dir):
    config = worker_dir(CONFIG, {"src/entry.py": STREAMING_WORKER})
    with PyflareServer(config) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            async with client.stream("GET", "/transform") as response:
                pieces = response.aiter_raw()
                assert await anext(pieces) == b"first;"
                await client.get("/release")
                assert b"".join([piece async for piece in pieces]) == b"second;"


async def test_a_chunk_that_is_not_bytes_fails_the_body_as_on_cloudflare():
    stream = js.ReadableStream.new(start=lambda controller: controller.enqueue(b"python bytes"))
    with pytest.raises(TypeError, match=NOT_BYTES.replace(".", r"\.") + r" \(a Python bytes chunk: wrap it with"):
        await stream.read_all()


async def test_reading_pyflares_own_streams_with_a_reader_gives_uint8arrays():
    from pyflare.workers._streams import ReadableStream

    async def source():
        yield b"ab"
        yield b"cd"

    stream = ReadableStream(source())
    reader = stream.getReader()
    assert stream.locked
    with pytest.raises(TypeError, match="currently locked to a reader"):
        stream.getReader()
    first = await reader.read()
    assert first.done is False and first.value.to_bytes() == b"ab" and first.value.constructor.name == "Uint8Array"
    second = await reader.read()
    assert bytes(second.value.to_py()) == b"cd"
    end = await reader.read()
    assert end.done is True and end.value is None
    reader.releaseLock()
    assert not stream.locked


async def test_a_large_chunk_is_read_in_4_kib_pieces_in_order_also_when_reads_overlap():
    from pyflare.workers._streams import ReadableStream

    data = bytes(range(256)) * 40  # 10,240 bytes: three reads of one chunk (4096, 4096, 2048)

    async def source():
        yield bytearray(data)
        yield b"tail"

    reader = ReadableStream(source()).getReader()
    first = await reader.read()
    second, third, fourth = reader.read(), reader.read(), reader.read()  # not awaited in between
    values = [first.value] + [(await promise).value for promise in (second, third, fourth)]
    assert [v.byteLength for v in values] == [4096, 4096, 2048, 4]
    assert b"".join(v.to_bytes() for v in values) == data + b"tail"
    assert (await reader.read()).done is True
    reader.releaseLock()
    with pytest.raises(TypeError):
        await reader.read()


async def test_an_r2_body_is_read_with_get_reader_as_adewale_does(start_worker):
    mf = await start_worker(CONFIG + '[[r2_buckets]]\nbinding = "BUCKET"\nbucket_name = "b"\n', {"src/entry.py": """
        from pyodide.ffi import to_js
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                data = bytes(range(256)) * 512
                await self.env.BUCKET.put("k", to_js(data).slice())
                obj = await self.env.BUCKET.get("k")
                reader = obj.body.getReader()
                parts = []
                try:
                    while True:
                        result = await reader.read()
                        if result.done:
                            break
                        parts.append(bytes(result.value.to_py()))
                finally:
                    reader.releaseLock()
                return Response(f"{len(parts)} {max(map(len, parts))} {b''.join(parts) == data}")
    """})
    # a reader of the platform's streams gets 4096-byte chunks, as workerd reads them
    assert (await mf.dispatch_fetch("/")).text == "32 4096 True"


async def test_pipe_through_tee_and_pipe_to():
    source = js.ReadableStream.from_([to_js(b"hello "), to_js(b"world")])
    upper = js.TransformStream.new(transform=lambda chunk, controller: controller.enqueue(
        to_js(chunk.to_bytes().upper())))
    left, right = source.pipeThrough(upper).tee()
    collected = []
    sink = js.WritableStream.new(write=lambda chunk, controller: collected.append(chunk.to_bytes()))
    await right.pipeTo(sink)
    assert b"".join(collected) == b"HELLO WORLD"
    assert await left.read_all() == b"HELLO WORLD"


async def test_a_writable_streams_writer_waits_for_the_sink_and_reports_backpressure():
    gate = asyncio.Event()
    written = []

    async def write(chunk, controller):
        await gate.wait()
        written.append(chunk)

    stream = js.WritableStream.new(JsDict(write=write), js.CountQueuingStrategy.new(highWaterMark=2))
    writer = stream.getWriter()
    first, second = writer.write("a"), writer.write("b")
    assert writer.desiredSize == 0  # two chunks queued against a high-water mark of 2
    await asyncio.sleep(0)
    assert not first.done
    gate.set()
    await first
    await second
    assert written == ["a", "b"] and writer.desiredSize == 2
    await writer.close()
    with pytest.raises(TypeError, match="This WritableStream has been closed"):
        await writer.write("c")


async def test_compression_round_trips_and_text_streams_decode_across_chunks():
    text = "grüße " * 200
    compressed = js.ReadableStream.from_([js.TextEncoder.new().encode(text)]).pipeThrough(
        js.CompressionStream.new("gzip"))
    data = await compressed.read_all()
    import gzip

    assert gzip.decompress(data).decode() == text
    encoded = "é".encode()
    pieces = js.ReadableStream.from_([to_js(encoded[:1]), to_js(encoded[1:])]).pipeThrough(
        js.TextDecoderStream.new())
    reader = pieces.getReader()
    assert (await reader.read()).value == "é"
    with pytest.raises(TypeError, match="not a valid enum value of type CompressionFormat"):
        js.CompressionStream.new("zip")


async def test_fixed_length_stream_sends_content_length(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from js import FixedLengthStream
        from pyodide.ffi import to_js
        from workers import Response, WorkerEntrypoint

        async def fill(writer):
            await writer.write(to_js(b"12345"))
            await writer.close()

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                stream = FixedLengthStream.new(5)
                self.ctx.waitUntil(fill(stream.writable.getWriter()))
                return Response(stream.readable)
    """})
    response = await mf.dispatch_fetch("/")
    assert response.headers["content-length"] == "5" and response.content == b"12345"
