"""``workers.wsgi`` streams as Cloudflare's adapter does: ``wsgi.input`` reads the body as it arrives, the
response is pulled from the app's iterable chunk by chunk, and its ``close()`` runs once."""

from __future__ import annotations

import asyncio

CONFIG = 'name = "t"\nmain = "src/entry.py"\n'

WSGI_APP = """
    import threading
    from workers import WorkerEntrypoint, wsgi

    gate = threading.Event()
    body_started = threading.Event()
    events = []

    class Ticks:
        def __init__(self):
            self.closed = 0

        def __iter__(self):
            for i in range(3):
                events.append(f"produce {i}")
                yield f"tick {i}\\n".encode()
                if not gate.wait(10):
                    raise TimeoutError("the test never released the next tick")
                gate.clear()

        def close(self):
            events.append("close")

    def application(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/ticks":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return Ticks()
        if path == "/upload":
            stream = environ["wsgi.input"]
            head = stream.read(6)
            body_started.set()
            rest = stream.read()
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [head, b"|", rest]
        if path == "/sized":  # Werkzeug sets the length of what it has in hand
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "9")])
        else:
            start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"one piece"]

    Default = wsgi.entrypoint(application)
"""


def module_of(mf):
    return mf.runtime.worker.module


async def test_a_wsgi_iterable_is_sent_chunk_by_chunk_and_closed_once(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": WSGI_APP})
    module = module_of(mf)
    async with mf.client.stream("GET", "/ticks") as response:
        assert "content-length" not in response.headers
        chunks = response.aiter_bytes()
        assert await chunks.__anext__() == b"tick 0\n"
        assert "produce 2" not in module.events
        module.gate.set()
        assert await chunks.__anext__() == b"tick 1\n"
        module.gate.set()
        assert await chunks.__anext__() == b"tick 2\n"
        module.gate.set()
        assert [chunk async for chunk in chunks] == []
    assert module.events == ["produce 0", "produce 1", "produce 2", "close"]


async def test_a_client_that_leaves_closes_the_wsgi_iterable(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": WSGI_APP})
    module = module_of(mf)
    async with mf.client.stream("GET", "/ticks") as response:
        assert await response.aiter_bytes().__anext__() == b"tick 0\n"
        module.gate.set()  # the app may produce one more chunk; nobody reads it
    for _ in range(500):
        if "close" in module.events:
            break
        await asyncio.sleep(0.01)
    assert module.events.count("close") == 1
    assert "produce 2" not in module.events


async def test_a_wsgi_body_is_sent_chunked_unless_the_app_gives_its_length(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": WSGI_APP})
    response = await mf.dispatch_fetch("/")  # Cloudflare streams every WSGI body it did not get a length for
    assert (response.text, response.headers.get("content-length")) == ("one piece", None)
    response = await mf.dispatch_fetch("/sized")
    assert (response.text, response.headers["content-length"]) == ("one piece", "9")


async def test_wsgi_input_reads_the_request_body_as_it_arrives(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": WSGI_APP})
    module = module_of(mf)

    async def upload():
        yield b"first,"
        # the app has read the first part while the rest is still to come
        assert await asyncio.to_thread(module.body_started.wait, 10)
        yield b"second"

    response = await mf.dispatch_fetch("/upload", method="POST", content=upload())
    assert response.text == "first,|second"
