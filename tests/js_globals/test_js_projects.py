"""The js patterns of public Python Workers projects (notes/projects.md), each reduced to a test:
ryu22e/python-workers-examples (js-sample, simple-api) and adewale/python-workers-issues (2-fastapi-r2-streaming)."""

from __future__ import annotations

import httpx

from pyflare.workers import _fetch

CONFIG = 'name = "t"\nmain = "src/entry.py"\n'


async def test_js_sample_url_redirect_headers_fetch_and_console_log(start_worker, monkeypatch, pyflare_log):
    # ryu22e js-sample/src/entry.py, unchanged but for the upstream URL
    client = httpx.AsyncClient(transport=httpx.MockTransport(
        lambda request: httpx.Response(200, json={"origin": "1.2.3.4"})))
    monkeypatch.setattr(_fetch, "_client", lambda: client)
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from js import Headers, Response, fetch, console, URL

        API_URL = "https://httpbin.test"

        async def on_fetch(request, env):
            url = URL.new(request.url)
            if url.pathname == "/old":
                return Response.redirect(url.origin, 307)
            headers = Headers.new({"content-type": "application/json; charset=utf-8"}.items())
            res = await fetch(f"{API_URL}/ip")
            console.log(res)
            return Response.new(res.body, headers=headers)
    """})
    moved = await mf.dispatch_fetch("/old")
    assert moved.status_code == 307 and moved.headers["location"] == "http://localhost/"
    response = await mf.dispatch_fetch("/")
    assert response.json() == {"origin": "1.2.3.4"}
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert "Response(status=200" in pyflare_log.text or "status=200" in str(pyflare_log.text)


SIMPLE_API = """
    from js import Headers, Response
    from pyodide.ffi import JsException

    async def on_fetch(request, env):
        headers = Headers.new({"content-type": "application/json; charset=utf-8"}.items())
        if "POST" in request.method:
            try:
                data = await request.json()
            except JsException:
                return Response.new({"error": "Invalid JSON"}, status=400, headers=headers)
            title = getattr(data, "title", None)
            description = getattr(data, "description", None)
            if not title or not description:
                return Response.new({"error": "Title and description are required"}, status=400, headers=headers)
            await env.DB.prepare("INSERT INTO books (title, description) VALUES (?, ?)").bind(title, description).run()
            return Response.new({"message": "ok"}, headers=headers)
        elif "GET" in request.method:
            r = await env.DB.prepare("SELECT * from books").all()
            return Response.json(r.results, headers=headers)
        return Response.new({"error": "Method not allowed"}, status=405, headers=headers)
"""


async def test_simple_api_reads_a_json_body_as_a_js_object_and_catches_js_exception(start_worker):
    # ryu22e simple-api/src/entry.py, with the D1 binding its README asks for
    mf = await start_worker(CONFIG + '[[d1_databases]]\nbinding = "DB"\ndatabase_name = "books"\n'
                            'database_id = "books"\n', {"src/entry.py": SIMPLE_API})
    await mf.env.DB.exec("CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT, description TEXT)")
    bad = await mf.dispatch_fetch("/", method="POST", content=b"{not json")
    assert bad.status_code == 400 and bad.text == "{'error': 'Invalid JSON'}"  # str(dict), as on Cloudflare
    missing = await mf.dispatch_fetch("/", method="POST", json={"title": "t"})
    assert missing.status_code == 400 and "required" in missing.text
    created = await mf.dispatch_fetch("/", method="POST", json={"title": "Dune", "description": "sand"})
    assert created.status_code == 200 and created.text == "{'message': 'ok'}"
    listed = await mf.dispatch_fetch("/")
    assert listed.json() == [{"id": 1, "title": "Dune", "description": "sand"}]


async def test_a_worker_entrypoint_still_gets_python_values_from_request_json(start_worker):
    # The SDK converts what a WorkerEntrypoint receives: request.json() is a plain dict there.
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                data = await request.json()
                return Response(f"{type(data).__name__} {hasattr(data, 'title')}")
    """})
    assert (await mf.dispatch_fetch("/", method="POST", json={"title": "x"})).text == "dict False"


async def test_fastapi_r2_streaming_seeds_with_a_sliced_uint8array_and_reads_with_get_reader(start_worker):
    # adewale 2-fastapi-r2-streaming: to_js(data).slice() into R2, then body.getReader() chunk by chunk, read
    # whole (its /read route) or streamed with a StreamingResponse (its /stream route, which Cloudflare's adapter
    # once cut to the first chunk: every chunk arrives).
    mf = await start_worker(CONFIG + '[[r2_buckets]]\nbinding = "BUCKET"\nbucket_name = "b"\n', {"src/entry.py": """
        from pyodide.ffi import to_js
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse, Response, StreamingResponse
        from starlette.routing import Route
        from workers import WorkerEntrypoint

        async def seed(req):
            data = bytes(range(256)) * 512
            await req.scope["env"].BUCKET.put("test-file", to_js(data).slice())
            return JSONResponse({"stored_bytes": len(data)})

        async def read(req):
            obj = await req.scope["env"].BUCKET.get("test-file")
            reader = obj.body.getReader()
            parts = []
            try:
                while True:
                    result = await reader.read()
                    if result.done:
                        break
                    chunk = result.value
                    if chunk is not None:
                        parts.append(bytes(chunk.to_py()))
            finally:
                reader.releaseLock()
            return Response(content=b"".join(parts), media_type="application/octet-stream")

        async def stream(req):
            obj = await req.scope["env"].BUCKET.get("test-file")

            async def chunks():
                reader = obj.body.getReader()
                try:
                    while True:
                        result = await reader.read()
                        if result.done:
                            break
                        yield bytes(result.value.to_py())
                finally:
                    reader.releaseLock()

            return StreamingResponse(chunks(), media_type="application/octet-stream")

        app = Starlette(routes=[Route("/seed", seed, methods=["POST"]), Route("/read", read), Route("/stream", stream)])

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                import asgi
                return await asgi.fetch(app, request.js_object, self.env)
    """})
    assert (await mf.dispatch_fetch("/seed", method="POST")).json() == {"stored_bytes": 131072}
    assert (await mf.dispatch_fetch("/read")).content == bytes(range(256)) * 512
    assert (await mf.dispatch_fetch("/stream")).content == bytes(range(256)) * 512


async def test_r2_body_passed_to_a_js_response_with_map_headers(start_worker):
    # adewale 4-r2-large-binary-roundtrip's /fixed/ route: the R2 body goes straight into js.Response.new with
    # headers=to_js(dict) (a Map, which the Headers constructor reads as pairs); its /probe/seed route slices a
    # megabytes-long Uint8Array.
    mf = await start_worker(CONFIG + '[[r2_buckets]]\nbinding = "BUCKET"\nbucket_name = "b"\n', {"src/entry.py": """
        import js
        from pyodide.ffi import to_js
        from workers import WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                path = js.URL.new(request.url).pathname
                if path == "/seed":
                    await self.env.BUCKET.put("big", to_js(bytes(range(256)) * 8192).slice())
                    return js.Response.new("seeded")
                obj = await self.env.BUCKET.get(path[len("/fixed/"):])
                if obj is None:
                    return js.Response.new("Not found", status=404)
                return js.Response.new(obj.body, headers=to_js({"content-type": "application/octet-stream"}))
    """})
    assert (await mf.dispatch_fetch("/seed")).text == "seeded"
    fixed = await mf.dispatch_fetch("/fixed/big")
    assert fixed.status_code == 200 and fixed.headers["content-type"] == "application/octet-stream"
    assert fixed.content == bytes(range(256)) * 8192
    assert (await mf.dispatch_fetch("/fixed/none")).status_code == 404
