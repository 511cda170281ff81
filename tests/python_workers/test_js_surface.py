"""The Python Workers surface Cloudflare's examples use: asgi/wsgi, js_object, to_js buffers, create_proxy,
``.new()`` constructors, js.fetch, HTMLRewriter."""

from __future__ import annotations

import httpx
import pytest

from pyflare.workers import _fetch

CONFIG = 'name = "t"\nmain = "src/entry.py"\n[vars]\nMESSAGE = "My env var"\n'
KV_CONFIG = CONFIG + '[[kv_namespaces]]\nbinding = "KV"\nid = "kv"\n'


async def test_top_level_asgi_module_serves_an_asgi_app_with_env_in_the_scope(start_worker):
    # 03-fastapi: `import asgi` inside fetch, `asgi.fetch(app, request.js_object, self.env)`.
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse
        from starlette.routing import Route
        from workers import WorkerEntrypoint

        async def env_route(request):
            body = await request.body()
            return JSONResponse({"message": request.scope["env"].MESSAGE, "body": body.decode(),
                                 "path": request.url.path, "q": request.query_params.get("q")})

        app = Starlette(routes=[Route("/env/{rest:path}", env_route, methods=["GET", "POST"])])

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                import asgi
                return await asgi.fetch(app, request.js_object, self.env)
    """})
    response = await mf.dispatch_fetch("/env/a%20b?q=1", method="POST", content=b"payload")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"message": "My env var", "body": "payload", "path": "/env/a b", "q": "1"}


WSGI_WORKER = """
    import json
    from pyodide.ffi import run_sync
    from workers import WorkerEntrypoint, wsgi

    def application(environ, start_response):
        env = environ["workers.env"]
        if environ["PATH_INFO"] == "/count":
            # django-cf's pattern: synchronous code awaiting a binding through run_sync.
            current = int(run_sync(env.KV.get("n")) or 0) + 1
            run_sync(env.KV.put("n", str(current)))
            body = str(current).encode()
        else:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.dumps({
                "method": environ["REQUEST_METHOD"], "path": environ["PATH_INFO"], "query": environ["QUERY_STRING"],
                "input": environ["wsgi.input"].read(length).decode(), "type": environ.get("CONTENT_TYPE"),
                "header": environ.get("HTTP_X_THING"), "host": environ["SERVER_NAME"],
            }).encode()
        start_response("201 Made It", [("Content-Type", "application/json"), ("Set-Cookie", "a=1"),
                                       ("Set-Cookie", "b=2")])
        return [body]

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            return await wsgi.fetch(application, request, self.env)
"""


async def test_wsgi_fetch_builds_a_pep3333_environ_and_returns_the_apps_response(start_worker):
    mf = await start_worker(KV_CONFIG, {"src/entry.py": WSGI_WORKER})
    response = await mf.dispatch_fetch("/caf%C3%A9?x=1", method="POST", content=b'{"a":1}',
                                       headers={"content-type": "application/json", "x-thing": "yes"})
    assert response.status_code == 201
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert response.json() == {"method": "POST", "path": "/caf\u00c3\u00a9", "query": "x=1", "input": '{"a":1}',
                               "type": "application/json", "header": "yes", "host": "localhost"}


async def test_run_sync_inside_a_wsgi_app_awaits_bindings_on_the_workers_loop(start_worker):
    mf = await start_worker(KV_CONFIG, {"src/entry.py": WSGI_WORKER})
    assert (await mf.dispatch_fetch("/count")).text == "1"
    assert (await mf.dispatch_fetch("/count")).text == "2"
    assert await mf.env.KV.get("n") == "2"


async def test_run_sync_on_the_event_loop_says_to_await_instead(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        import asyncio
        from pyodide.ffi import run_sync
        from workers import Response
        async def on_fetch(request):
            try:
                run_sync(asyncio.sleep(0))
            except RuntimeError as exc:
                return Response(str(exc))
    """})
    assert "cannot block pyflare's event loop: await the value instead" in (await mf.dispatch_fetch("/")).text


async def test_to_js_bytes_buffer_is_a_response_body(start_worker):
    # 12-image-gen: Response(to_js(image_bytes).buffer, headers=...).
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from pyodide.ffi import to_js
        from workers import Response
        def on_fetch(request):
            data = to_js(bytes(range(256)))
            assert data.byteLength == 256 and data.to_bytes()[:2] == b"\\x00\\x01"
            return Response(data.buffer, headers={"Content-Type": "image/png"})
    """})
    response = await mf.dispatch_fetch("/")
    assert response.content == bytes(range(256))
    assert response.headers["content-type"] == "image/png"


async def test_js_constructors_and_object_from_entries(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from js import Headers, Object, Request, Response
        from pyodide.ffi import create_proxy, to_js

        def on_fetch(request):
            code = to_js({"mainModule": "entry.py", "modules": {"entry.py": "x"}}, dict_converter=Object.fromEntries)
            proxy = create_proxy(lambda: code.modules["entry.py"])
            value = proxy()
            proxy.destroy()
            try:
                proxy()
            except RuntimeError as exc:
                destroyed = str(exc)
            inner = Request.new("https://example.com/a", method="POST", headers=Headers.new({"x-a": "1"}))
            headers = Object.fromEntries([["x-method", inner.method], ["x-value", value], ["x-destroyed", destroyed]])
            made = Response.new(code.mainModule, status=202, headers=headers, statusText="Queued")
            made.headers.set("x-status-text", made.statusText)
            return made
    """})
    response = await mf.dispatch_fetch("/")
    assert (response.status_code, response.headers["x-status-text"], response.text) == (202, "Queued", "entry.py")
    assert response.headers["x-method"] == "POST" and response.headers["x-value"] == "x"
    assert response.headers["x-destroyed"] == "Object has already been destroyed"


async def test_js_fetch_takes_pyodide_style_options(start_worker, monkeypatch):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"<html><head><title>up</title></head></html>",
                              headers={"content-type": "text/html"})

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    monkeypatch.setattr(_fetch, "_client", lambda: client)
    mf = await start_worker(CONFIG, {"src/entry.py": """
        import js
        from workers import Response
        async def on_fetch(request):
            upstream = await js.fetch("http://upstream.test/page", method="PUT", body="x")
            js.console.log("fetched", {"status": upstream.status})
            return Response(upstream.js_object)
    """})
    response = await mf.dispatch_fetch("/")
    assert response.text == "<html><head><title>up</title></head></html>"
    assert seen[0].method == "PUT" and seen[0].content == b"x"


OPENGRAPH_WORKER = """
    from html import escape
    from js import HTMLRewriter
    from pyodide.ffi import create_proxy
    from workers import Response, WorkerEntrypoint

    PAGE = ('<!doctype html><html><head><meta property="og:title" content="old">'
            '<meta name="twitter:card" content="old"><title>Page</title></head><body><p>hi</p></body></html>')

    class Injector:
        def __init__(self):
            self.injected = False
        def element(self, element):
            if not self.injected:
                element.prepend(f'<meta property="og:title" content="{escape("New & <b>")}" />', html=True)
                self.injected = True

    class Remover:
        def element(self, element):
            element.remove()

    class Upper:
        async def text(self, chunk):  # an async handler, awaited before the rewrite goes on
            if chunk.text:
                chunk.replace(chunk.text.upper())

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            rewriter = HTMLRewriter.new()
            remover = create_proxy(Remover())
            rewriter.on('meta[property^="og:"]', remover)
            rewriter.on('meta[name^="twitter:"]', remover)
            rewriter.on("head", create_proxy(Injector()))
            if "upper" in request.url:
                rewriter.on("body > p", Upper())
            original = Response(PAGE, headers={"content-type": "text/html", "x-kept": "1"})
            return rewriter.transform(original.js_object)
"""


async def test_html_rewriter_removes_and_injects_with_css_selectors(start_worker):
    # 11-opengraph's pattern.
    mf = await start_worker(CONFIG, {"src/entry.py": OPENGRAPH_WORKER})
    response = await mf.dispatch_fetch("/")
    assert response.headers["x-kept"] == "1" and response.headers["content-type"] == "text/html"
    assert response.text == ('<!doctype html><html><head><meta property="og:title" content="New &amp; &lt;b&gt;" />'
                             '<title>Page</title></head><body><p>hi</p></body></html>')


async def test_html_rewriter_awaits_async_handlers(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": OPENGRAPH_WORKER})
    assert "<body><p>HI</p></body>" in (await mf.dispatch_fetch("/upper")).text


async def test_html_rewriter_streams_a_body_and_reports_handler_errors(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from js import HTMLRewriter
        from workers import Response, ReadableStream

        async def chunks():
            yield b"<div><a href='http://x'>one</a>"
            yield b"<a href='http://y'>two</a></div>"

        class Https:
            def element(self, el):
                el.setAttribute("href", el.getAttribute("href").replace("http:", "https:"))

        class Broken:
            def element(self, el):
                raise ValueError("handler broke")

        async def on_fetch(request):
            rewriter = HTMLRewriter.new().on("a[href]", Https())
            if "broken" in request.url:
                rewriter.on("div", Broken())
            rewritten = rewriter.transform(Response(ReadableStream(chunks())))
            try:
                return Response(await rewritten.text())
            except ValueError as exc:
                return Response(f"error: {exc}", status=500)
    """})
    # lol-html writes a changed attribute with double quotes, as Cloudflare's HTMLRewriter does.
    assert (await mf.dispatch_fetch("/")).text == '<div><a href="https://x">one</a><a href="https://y">two</a></div>'
    broken = await mf.dispatch_fetch("/broken")
    assert (broken.status_code, broken.text) == (500, "error: handler broke")


def test_html_rewriter_rejects_a_bad_selector_where_it_is_given():
    from pyflare.workers.js import HTMLRewriter

    with pytest.raises(TypeError, match=r"Parser error: .*selector 'p\['"):
        HTMLRewriter.new().on("p[", object())


async def test_an_html_rewriter_token_kept_past_its_handler_is_dead_as_in_workerd(start_worker):
    # workerd: "This content token is no longer valid..." (html-rewriter.c++ checkToken). Dropping lol-html's
    # object when the handler returns also keeps it out of reference cycles, which the garbage collector may
    # free on another thread (python-lolhtml panics there: "unsendable, but is being dropped on another thread").
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from js import HTMLRewriter
        from workers import Response, WorkerEntrypoint

        class Keeper:
            def __init__(self):
                self.kept = []
                self.me = self  # a reference cycle holding the element
            def element(self, element):
                element.setAttribute("data-seen", "1")
                self.kept.append(element)

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                keeper = Keeper()
                rewritten = HTMLRewriter.new().on("p", keeper).transform(Response("<p>a</p>"))
                text = await rewritten.text()
                try:
                    keeper.kept[0].getAttribute("data-seen")
                except TypeError as exc:
                    return Response(text + " | " + str(exc))
                return Response(text + " | still usable")
    """})
    response = await mf.dispatch_fetch("/")
    assert response.text == ('<p data-seen="1">a</p> | This content token is no longer valid. Content tokens are '
                             'only valid during the execution of the relevant content handler.')
    import gc
    import threading

    errors: list[object] = []
    previous, threading.excepthook = threading.excepthook, errors.append
    try:
        collector = threading.Thread(target=gc.collect)  # the cycle above is freed on another thread: harmless
        collector.start()
        collector.join()
    finally:
        threading.excepthook = previous
    assert errors == []
