"""``asgi.fetch`` as Cloudflare's adapter (workers-runtime-sdk 1.9.5) runs an app: lifespan per request,
streamed responses chunk by chunk (in-process and over a socket), request bodies streaming in, and
``http.disconnect`` only when the response is done or the client really left."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from tests.conftest import serve_on_loopback

CONFIG = 'name = "t"\nmain = "src/entry.py"\n[vars]\nMESSAGE = "hi"\n'

# A Starlette app with a lifespan, a streamed route paced by the test (``gate``), and a log of events.
STREAMING_APP = """
    import asyncio
    from contextlib import asynccontextmanager
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route
    from workers import WorkerEntrypoint
    import asgi

    events = []
    gate = asyncio.Event()

    @asynccontextmanager
    async def lifespan(app):
        events.append("startup")
        yield {"db": "connected"}
        events.append("shutdown")

    async def state(request):
        events.append("request")
        return JSONResponse({"db": request.state.db, "env": request.scope["env"].MESSAGE})

    async def ticks(request):
        async def produce():
            try:
                for i in range(3):
                    yield f"data: {i}\\n\\n"
                    await gate.wait()
                    gate.clear()
                events.append("stream ended")
            finally:
                events.append("generator closed")
        return StreamingResponse(produce(), media_type="text/event-stream")

    app = Starlette(routes=[Route("/state", state), Route("/ticks", ticks)], lifespan=lifespan)

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            if "ctx" in request.url:
                return await asgi.fetch(app, request.js_object, self.env, self.ctx)
            return await asgi.fetch(app, request, self.env)
"""


def module_of(mf):
    return mf.runtime.worker.module


async def test_lifespan_runs_around_each_request_with_its_state_copied_into_the_scope(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": STREAMING_APP})
    response = await mf.dispatch_fetch("/state")
    assert response.status_code == 200
    assert response.json() == {"db": "connected", "env": "hi"}
    # Cloudflare's adapter: startup before the request is served, shutdown once the response is done.
    assert module_of(mf).events == ["startup", "request", "shutdown"]


@pytest.mark.parametrize("path", ["/ticks", "/ticks?ctx"])
async def test_a_streamed_response_reaches_the_client_chunk_by_chunk(start_worker, path):
    mf = await start_worker(CONFIG, {"src/entry.py": STREAMING_APP})
    module = module_of(mf)
    async with mf.client.stream("GET", path) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        chunks = response.aiter_bytes()
        assert await chunks.__anext__() == b"data: 0\n\n"  # before the app has produced the next one
        assert "shutdown" not in module.events  # the lifespan stays up while the response streams
        module.gate.set()
        assert await chunks.__anext__() == b"data: 1\n\n"
        module.gate.set()
        assert await chunks.__anext__() == b"data: 2\n\n"
        module.gate.set()
        assert [chunk async for chunk in chunks] == []
    await mf.idle()
    assert module.events == ["startup", "stream ended", "generator closed", "shutdown"]


async def test_a_client_that_leaves_mid_stream_reaches_the_app_as_a_disconnect(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": STREAMING_APP})
    module = module_of(mf)
    async with mf.client.stream("GET", "/ticks") as response:
        assert await response.aiter_bytes().__anext__() == b"data: 0\n\n"
    await mf.idle()
    # Starlette saw http.disconnect and cancelled the stream; then the lifespan shut down.
    assert module.events == ["startup", "generator closed", "shutdown"]


async def test_streaming_over_a_real_socket_delivers_each_chunk_as_it_is_produced(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": STREAMING_APP})
    module = module_of(mf)
    async with serve_on_loopback(mf.asgi_app) as url, httpx.AsyncClient(base_url=url) as client:
        async with client.stream("GET", "/ticks") as response:
            assert response.headers.get("transfer-encoding") == "chunked"
            chunks = response.aiter_raw()
            assert await asyncio.wait_for(chunks.__anext__(), 10) == b"data: 0\n\n"
            module.gate.set()
            assert await asyncio.wait_for(chunks.__anext__(), 10) == b"data: 1\n\n"
        # the client closed the connection with one chunk unsent: the app hears of it
        for _ in range(200):
            if "generator closed" in module.events:
                break
            await asyncio.sleep(0.01)
    assert "stream ended" not in module.events
    assert "generator closed" in module.events


# A FastMCP-like app: its route handlers need a task group that only the lifespan opens (as mcp's
# StreamableHTTPSessionManager.run() does); the answer is computed in that task group and streamed as SSE.
TASK_GROUP_APP = """
    import anyio
    from contextlib import asynccontextmanager
    from starlette.applications import Starlette
    from starlette.responses import StreamingResponse
    from starlette.routing import Route
    from workers import WorkerEntrypoint
    import asgi

    class SessionManager:
        task_group = None

        @asynccontextmanager
        async def run(self):
            async with anyio.create_task_group() as tg:
                self.task_group = tg
                try:
                    yield
                finally:
                    self.task_group = None
                    tg.cancel_scope.cancel()

    manager = SessionManager()

    @asynccontextmanager
    async def lifespan(app):
        async with manager.run():
            yield

    async def call(request):
        if manager.task_group is None:
            raise RuntimeError("Task group is not initialized. Make sure to use run().")
        send, receive = anyio.create_memory_object_stream(1)

        async def server():
            async with send:
                await send.send('{"result": 3}')

        manager.task_group.start_soon(server)

        async def events():
            async with receive:
                async for message in receive:
                    yield f"event: message\\ndata: {message}\\n\\n"
        return StreamingResponse(events(), media_type="text/event-stream")

    app = Starlette(routes=[Route("/mcp", call, methods=["POST"])], lifespan=lifespan)

    async def on_fetch(request, env, ctx):
        return await asgi.fetch(app, request, env, ctx)
"""


async def test_an_app_whose_handlers_need_the_lifespans_task_group_is_served(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": TASK_GROUP_APP})
    for _ in range(2):  # a fresh lifespan (and task group) per request, as on Cloudflare
        response = await mf.dispatch_fetch("/mcp", method="POST", json={"jsonrpc": "2.0"})
        assert response.status_code == 200
        assert response.text == 'event: message\ndata: {"result": 3}\n\n'
    await mf.idle()
    assert module_of(mf).manager.task_group is None  # shut down after the response


FAILING_STARTUP = """
    from contextlib import asynccontextmanager
    from starlette.applications import Starlette
    from workers import WorkerEntrypoint
    import asgi

    @asynccontextmanager
    async def lifespan(app):
        raise ValueError("cannot reach the database")
        yield

    app = Starlette(lifespan=lifespan)

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            return await asgi.fetch(app, request, self.env)
"""


async def test_a_failed_lifespan_startup_fails_the_request_with_one_clear_line(start_worker, caplog):
    mf = await start_worker(CONFIG, {"src/entry.py": FAILING_STARTUP})
    with caplog.at_level(logging.ERROR):
        response = await mf.dispatch_fetch("/")
    assert response.status_code == 500
    assert response.text == ("Worker threw exception\n\n"
                             "RuntimeError: ASGI lifespan startup failed: ValueError: cannot reach the database\n")
    assert [r.getMessage() for r in caplog.records if r.name == "asgi"] == []  # no second, longer report


PLAIN_APPS = """
    from workers import WorkerEntrypoint
    import asgi

    async def no_lifespan(scope, receive, send):  # like Django's ASGIHandler: http only
        if scope["type"] != "http":
            raise ValueError(f"can only handle http, not {scope['type']}")
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"set-cookie", b"a=1"),
                                                                              (b"set-cookie", b"b=2")]})
        await send({"type": "http.response.body", "body": b"served"})

    async def null_body(scope, receive, send):
        if scope["type"] == "lifespan":
            return
        await send({"type": "http.response.start", "status": 204, "headers": [(b"x-null", b"1")]})
        await send({"type": "http.response.body", "body": b"dropped"})

    async def silent(scope, receive, send):
        if scope["type"] == "http":
            await receive()

    async def fails_late(scope, receive, send):
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"chunk-1", "more_body": True})
        raise RuntimeError("app failed mid-stream")

    async def scope_echo(scope, receive, send):
        if scope["type"] != "http":
            return
        import json
        keys = sorted(k for k in scope if k not in ("env",))
        body = json.dumps({"keys": keys, "path": scope["path"], "raw": scope["raw_path"].decode(),
                           "qs": scope["query_string"].decode(), "asgi": scope["asgi"]}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})

    APPS = {"/no-lifespan": no_lifespan, "/null": null_body, "/silent": silent, "/late": fails_late}
    Entrypoint = asgi.entrypoint(scope_echo)

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            app = APPS.get(request.url.split("localhost")[1].split("?")[0])
            if app is None:
                return await Entrypoint(self.ctx, self.env).fetch(request)
            return await asgi.fetch(app, request, self.env)
"""


async def test_an_app_without_lifespan_support_is_served_and_repeated_headers_survive(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": PLAIN_APPS})
    response = await mf.dispatch_fetch("/no-lifespan")
    assert (response.status_code, response.text) == (200, "served")
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]


async def test_null_body_statuses_drop_the_body(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": PLAIN_APPS})
    response = await mf.dispatch_fetch("/null")
    assert (response.status_code, response.content, response.headers["x-null"]) == (204, b"", "1")


async def test_an_app_that_sends_no_response_is_an_error(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": PLAIN_APPS})
    response = await mf.dispatch_fetch("/silent")
    assert response.status_code == 500
    assert "RuntimeError: The application did not generate a response" in response.text


async def test_an_exception_after_the_response_started_ends_the_body_and_is_logged(start_worker, caplog):
    mf = await start_worker(CONFIG, {"src/entry.py": PLAIN_APPS})
    with caplog.at_level(logging.ERROR, logger="asgi"):
        response = await mf.dispatch_fetch("/late")
        await mf.idle()
    assert (response.status_code, response.content) == (200, b"chunk-1")
    assert any(r.getMessage() == "Exception in ASGI application after response started"
               and "app failed mid-stream" in str(r.exc_info[1]) for r in caplog.records)


async def test_the_scope_has_cloudflares_keys_and_asgi_entrypoint_serves_an_app(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": PLAIN_APPS})
    response = await mf.dispatch_fetch("/caf%C3%A9/x?q=1%202")
    assert response.json() == {
        "keys": ["asgi", "headers", "http_version", "method", "path", "query_string", "raw_path", "scheme",
                 "state", "type"],
        "path": "/café/x", "raw": "/caf%C3%A9/x", "qs": "q=1%202", "asgi": {"spec_version": "2.0", "version": "3.0"},
    }


BODY_APP = """
    import asyncio
    from workers import WorkerEntrypoint
    import asgi

    first_chunk = asyncio.Event()
    seen = []

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        while True:
            message = await receive()
            seen.append(message)
            if message.get("body"):
                first_chunk.set()
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"".join(m.get("body", b"") for m in seen)})

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            return await asgi.fetch(app, request, self.env)
"""


async def test_the_request_body_streams_into_the_app_as_it_arrives(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": BODY_APP})
    module = module_of(mf)

    async def upload():
        yield b"first,"
        await asyncio.wait_for(module.first_chunk.wait(), 10)  # the app has it before the upload ends
        yield b"second"

    response = await mf.dispatch_fetch("/", method="POST", content=upload())
    assert response.content == b"first,second"
    assert [(m["body"], m["more_body"]) for m in module.seen] == [
        (b"first,", True), (b"second", True), (b"", False)]


async def test_the_asgi_events_example_streams_its_events_and_shares_lifespan_state():
    from pathlib import Path

    from pyflare import Pyflare

    folder = Path(__file__).parents[2] / "examples" / "asgi-events"
    async with Pyflare(folder) as mf:
        assert (await mf.dispatch_fetch("/")).json() == {"motd": "Welcome to the event stream", "visits": 1}
        async with mf.client.stream("GET", "/events?count=3&interval=0") as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = [line async for line in response.aiter_lines() if line.startswith("data: ")]
        assert lines == ["data: 0", "data: 1", "data: 2"]
