"""Outbound ``fetch()`` from a worker goes through httpx and streams the response back."""

from __future__ import annotations

import httpx
import pytest

from pyflare.workers import _fetch

CONFIG = 'main = "src/entry.py"\n'


@pytest.fixture
def upstream(monkeypatch):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/redirect":
            return httpx.Response(302, headers={"location": "http://upstream.test/final"})
        return httpx.Response(201, headers={"x-up": "1"}, content=b"upstream:" + request.content)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    monkeypatch.setattr(_fetch, "_client", lambda: client)
    return seen


async def test_worker_fetch_sends_method_headers_body_and_reads_response(start_worker, upstream):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from workers import Response, fetch
        async def on_fetch(request):
            r = await fetch("http://upstream.test/x", method="POST", headers={"x-a": "b"}, body="hi")
            return Response(f"{r.status} {r.headers.get('x-up')} {await r.text()} {r.ok}")
    """})
    assert (await mf.dispatch_fetch("/")).text == "201 1 upstream:hi True"
    assert upstream[0].method == "POST" and upstream[0].headers["x-a"] == "b"


async def test_worker_fetch_follows_redirects_by_default(start_worker, upstream):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from workers import Response, fetch
        async def on_fetch(request):
            r = await fetch("http://upstream.test/redirect")
            m = await fetch("http://upstream.test/redirect", redirect="manual")
            return Response(f"{r.url} {r.redirected} {m.status}")
    """})
    assert (await mf.dispatch_fetch("/")).text == "http://upstream.test/final True 302"
