"""The Cache API as a worker uses it: put/match/delete, HTTP caching rules, TypeErrors, expiry on the clock."""

from __future__ import annotations

from email.utils import formatdate
from pathlib import Path

import pytest
from tests.conftest import write_worker

from pyflare import Pyflare
from pyflare.workers import Request, Response

WORKER = """
from workers import WorkerEntrypoint, Response
from js import caches

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        cache = caches.default
        hit = await cache.match(request)
        if hit is not None:
            return hit
        self.env.ORIGIN_CALLS.append(request.url)
        response = Response("fresh " + request.url, headers={"cache-control": "max-age=60"})
        await cache.put(request, response.clone())
        return response
"""


@pytest.fixture
async def mf(tmp_path: Path):
    config = write_worker(tmp_path / "w", 'name = "c"\nmain = "src/entry.py"\n', {"src/entry.py": WORKER})
    async with Pyflare(config, clock="manual", vars={"ORIGIN_CALLS": []}) as mf:
        yield mf


def cached(body: str = "x", **headers: str) -> Response:
    return Response(body, headers={"cache-control": "max-age=60", **headers})


async def test_worker_serves_the_second_request_from_the_cache_with_cf_cache_status(mf: Pyflare) -> None:
    first = await mf.dispatch_fetch("/a")
    assert "cf-cache-status" not in first.headers
    second = await mf.dispatch_fetch("/a")
    assert second.text == "fresh http://localhost/a"
    assert second.headers["cf-cache-status"] == "HIT"
    assert mf.env.ORIGIN_CALLS == ["http://localhost/a"]


async def test_entries_expire_on_the_clock(mf: Pyflare) -> None:
    cache = mf.caches.default
    await cache.put("https://x/ttl", cached())
    mf.clock.advance(seconds=59)
    assert await cache.match("https://x/ttl") is not None
    mf.clock.advance(seconds=1)
    assert await cache.match("https://x/ttl") is None


@pytest.mark.parametrize(("headers", "ttl"), [
    ({"cache-control": "s-maxage=10, max-age=100"}, 10),      # a shared cache prefers s-maxage
    ({"cache-control": "max-age=30", "age": "20"}, 10),       # minus the age it already has
    ({"expires": "{now+100}", "date": "{now}"}, 100),
    ({"last-modified": "{now-1000}", "date": "{now}"}, 100),  # heuristic: 10% of the time since modified
    ({"cache-control": "immutable", "expires": "{now+1}", "date": "{now}"}, 86400),
    ({"cache-control": "max-age=5, stale-while-revalidate=20"}, 25),
])
async def test_time_to_live_follows_the_http_caching_rules(mf: Pyflare, headers: dict[str, str], ttl: int) -> None:
    now = int(mf.clock.time()) + 1
    mf.clock.set(now)
    dates = {"{now}": now, "{now+100}": now + 100, "{now-1000}": now - 1000, "{now+1}": now + 1}
    headers = {k: formatdate(dates[v], usegmt=True) if v in dates else v for k, v in headers.items()}
    cache = mf.caches.default
    await cache.put("https://x/k", Response("v", headers=headers))
    mf.clock.advance(seconds=ttl - 0.5)
    assert await cache.match("https://x/k") is not None
    mf.clock.advance(seconds=1)
    assert await cache.match("https://x/k") is None


@pytest.mark.parametrize("headers", [
    {"cache-control": "no-store, max-age=60"},
    {"cache-control": "private, max-age=60"},
    {"cache-control": "max-age=60", "set-cookie": "a=1"},
    {"cache-control": "no-cache"},
    {},                                          # no freshness information at all
    {"expires": "0"},                            # an invalid date means already expired
])
async def test_responses_a_shared_cache_may_not_keep_are_dropped_silently(mf: Pyflare, headers: dict) -> None:
    cache = mf.caches.default
    await cache.put("https://x/no", Response("v", headers=headers))
    assert await cache.match("https://x/no") is None


async def test_private_set_cookie_strips_the_cookie_and_caches(mf: Pyflare) -> None:
    cache = mf.caches.default
    await cache.put("https://x/c", Response("v", headers={"cache-control": 'private="set-cookie", max-age=60',
                                                          "set-cookie": "session=1"}))
    hit = await cache.match("https://x/c")
    assert hit is not None and not hit.headers.has("set-cookie")


async def test_authorization_needs_an_explicit_shared_directive(mf: Pyflare) -> None:
    cache = mf.caches.default
    auth = {"authorization": "Bearer t"}
    await cache.put(Request("https://x/a1", headers=auth), cached())
    assert await cache.match("https://x/a1") is None
    await cache.put(Request("https://x/a2", headers=auth), Response("v", headers={"cache-control": "public, max-age=9"}))
    assert await cache.match("https://x/a2") is not None


@pytest.mark.parametrize(("request_", "response", "message"), [
    (Request("https://x/p", method="POST"), cached(), "Cannot cache response to non-GET request."),
    ("https://x/p", Response("x", status=206), r"Cannot cache response to a range request \(206 Partial Content\)."),
    ("https://x/p", cached(vary="*"), "Cannot cache response with 'Vary: \\*' header."),
    ("/relative", cached(), "Invalid URL: /relative"),  # workerd makes a Request of it first
])
async def test_put_type_errors(mf: Pyflare, request_: object, response: Response, message: str) -> None:
    with pytest.raises(TypeError, match=f"^{message}$"):
        await mf.caches.default.put(request_, response)


async def test_a_304_is_ignored_with_workerds_warning(mf: Pyflare, caplog: pytest.LogCaptureFixture) -> None:
    await mf.caches.default.put("https://x/304", Response(None, status=304))
    assert await mf.caches.default.match("https://x/304") is None
    assert "Ignoring attempt to Cache.put() a 304 status response." in caplog.text


async def test_match_and_delete_ignore_non_get_unless_told(mf: Pyflare) -> None:
    cache = mf.caches.default
    await cache.put("https://x/m", cached("body"))
    head = Request("https://x/m", method="HEAD")
    assert await cache.match(head) is None
    assert await (await cache.match(head, {"ignoreMethod": True})).text() == "body"
    assert await cache.delete(head) is False
    assert await cache.delete(head, ignoreMethod=True) is True
    assert await cache.delete("https://x/m") is False


async def test_conditional_requests_get_304(mf: Pyflare) -> None:
    cache = mf.caches.default
    await cache.put("https://x/e", cached(etag='"v1"', **{"last-modified": "Wed, 21 Oct 2015 07:28:00 GMT"}))
    assert (await cache.match(Request("https://x/e", headers={"if-none-match": 'W/"v1"'}))).status == 304
    assert (await cache.match(Request("https://x/e", headers={"if-none-match": '"v2"'}))).status == 200
    since = {"if-modified-since": "Wed, 21 Oct 2015 07:28:00 GMT"}
    assert (await cache.match(Request("https://x/e", headers=since))).status == 304


async def test_ranges(mf: Pyflare) -> None:
    cache = mf.caches.default
    await cache.put("https://x/r", cached("0123456789", **{"content-type": "text/plain"}))

    async def get(value: str) -> Response:
        return await cache.match(Request("https://x/r", headers={"range": value}))

    part = await get("bytes=2-4")
    assert (part.status, await part.text(), part.headers["content-range"]) == (206, "234", "bytes 2-4/10")
    assert await (await get("bytes=-3")).text() == "789"
    assert await (await get("bytes=7-")).text() == "789"
    unsatisfiable = await get("bytes=20-")
    assert (unsatisfiable.status, unsatisfiable.headers["content-range"]) == (416, "bytes */10")
    multi = await get("bytes=0-1,8-9")
    assert multi.status == 206 and multi.headers["content-type"].startswith("multipart/byteranges; boundary=")
    text = await multi.text()
    assert "Content-Range: bytes 0-1/10\r\n\r\n01" in text and "Content-Range: bytes 8-9/10\r\n\r\n89" in text


async def test_named_caches_are_separate_and_names_are_limited(mf: Pyflare) -> None:
    one = await mf.caches.open("one")
    await one.put("https://x/n", cached("from one"))
    assert await mf.caches.default.match("https://x/n") is None
    assert await (await (await mf.caches.open("one")).match("https://x/n")).text() == "from one"
    with pytest.raises(TypeError, match="^Cache name is too long.$"):
        await mf.caches.open("n" * 1024)
    await mf.caches.open("n" * 1023)


async def test_cf_cache_key_replaces_the_url_as_key(mf: Pyflare) -> None:
    cache = mf.caches.default
    await cache.put(Request("https://x/one?utm=1", cf={"cacheKey": "product-1"}), cached("p1"))
    assert await (await cache.match(Request("https://x/other", cf={"cacheKey": "product-1"}))).text() == "p1"


async def test_put_consumes_the_response_body(mf: Pyflare) -> None:
    response = cached("once")
    await mf.caches.default.put("https://x/b", response)
    assert response.body_used


async def test_entries_survive_a_restart(tmp_path: Path) -> None:
    config = write_worker(tmp_path / "w", 'name = "c"\nmain = "src/entry.py"\n', {"src/entry.py": WORKER})
    async with Pyflare(config, persist_to=tmp_path / "state", vars={"ORIGIN_CALLS": []}) as mf:
        await mf.dispatch_fetch("/kept")
    assert (tmp_path / "state" / "cache" / "cache.sqlite").is_file()
    async with Pyflare(config, persist_to=tmp_path / "state", vars={"ORIGIN_CALLS": []}) as mf:
        assert (await mf.dispatch_fetch("/kept")).headers["cf-cache-status"] == "HIT"
        assert mf.env.ORIGIN_CALLS == []


@pytest.mark.parametrize("how", ["argument", "config"])
async def test_the_cache_can_be_turned_off(tmp_path: Path, how: str) -> None:
    extra = "\n[pyflare]\ncache = false\n" if how == "config" else ""
    config = write_worker(tmp_path / "w", f'name = "c"\nmain = "src/entry.py"\n{extra}', {"src/entry.py": WORKER})
    kwargs = {"cache": False} if how == "argument" else {}
    async with Pyflare(config, vars={"ORIGIN_CALLS": []}, **kwargs) as mf:
        await mf.dispatch_fetch("/off")
        await mf.dispatch_fetch("/off")
        assert len(mf.env.ORIGIN_CALLS) == 2
        assert not (mf.storage.root / "cache").exists()


async def test_workers_of_one_pyflare_share_the_cache(tmp_path: Path) -> None:
    a = write_worker(tmp_path / "a", 'name = "a"\nmain = "src/entry.py"\n', {"src/entry.py": WORKER})
    b = write_worker(tmp_path / "b", 'name = "b"\nmain = "src/entry.py"\n', {"src/entry.py": WORKER})
    async with Pyflare([a, b], vars={"ORIGIN_CALLS": []}) as mf:
        await mf.caches.default.put("https://zone/x", cached("from a"))
        assert await (await mf.worker("b").caches.default.match("https://zone/x")).text() == "from a"


def test_pyflare_dev_no_cache_flag(tmp_path: Path) -> None:
    import httpx

    from pyflare.testing.server import PyflareServer

    config = write_worker(tmp_path / "w", 'name = "c"\nmain = "src/entry.py"\n[vars]\nORIGIN_CALLS = []\n',
                          {"src/entry.py": WORKER})
    with PyflareServer(config, args=["--no-cache"]) as server:
        assert "cf-cache-status" not in httpx.get(server.url + "/x").headers
        assert "cf-cache-status" not in httpx.get(server.url + "/x").headers
