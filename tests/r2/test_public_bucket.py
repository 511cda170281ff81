"""Public bucket access at /cdn-cgi/local/r2/public/<bucket>/<key>, as r2.dev answers it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pyflare import Pyflare

CONFIG = """
name = "public-test"
main = "src/entry.py"

[[r2_buckets]]
binding = "ASSETS_BUCKET"
bucket_name = "media"
"""
ENTRY = """
from workers import Response
async def on_fetch(request, env):
    return Response("worker")
"""
BASE = "/cdn-cgi/local/r2/public/media"


@pytest.fixture
async def mf(start_worker: Callable[..., Any]) -> Pyflare:
    mf = await start_worker(CONFIG, {"src/entry.py": ENTRY})
    await mf.env.ASSETS_BUCKET.put("pics/cat.txt", "0123456789", httpMetadata={"contentType": "text/plain"})
    return mf


async def test_get_serves_the_object_with_its_metadata(mf: Pyflare) -> None:
    response = await mf.dispatch_fetch(f"{BASE}/pics/cat.txt")
    assert response.status_code == 200
    assert response.text == "0123456789"
    assert response.headers["content-type"] == "text/plain"
    assert response.headers["content-length"] == "10"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"].startswith('"')


async def test_head_has_the_length_and_no_body(mf: Pyflare) -> None:
    response = await mf.dispatch_fetch(f"{BASE}/pics/cat.txt", method="HEAD")
    assert response.status_code == 200
    assert response.headers["content-length"] == "10"
    assert response.content == b""


async def test_missing_key_and_bucket_are_404(mf: Pyflare) -> None:
    assert (await mf.dispatch_fetch(f"{BASE}/nope")).status_code == 404
    assert (await mf.dispatch_fetch("/cdn-cgi/local/r2/public/other/pics/cat.txt")).status_code == 404


async def test_writes_are_refused(mf: Pyflare) -> None:
    response = await mf.dispatch_fetch(f"{BASE}/pics/cat.txt", method="PUT", content=b"x")
    assert response.status_code == 401
    assert await (await mf.env.ASSETS_BUCKET.get("pics/cat.txt")).text() == "0123456789"


@pytest.mark.parametrize(
    ("header", "status", "body", "content_range"),
    [
        ("bytes=2-4", 206, b"234", "bytes 2-4/10"),
        ("bytes=7-", 206, b"789", "bytes 7-9/10"),
        ("bytes=-2", 206, b"89", "bytes 8-9/10"),
        ("bytes=4-2", 400, b"", None),
        ("bytes=0-1,4-5", 400, b"", None),
        ("lines=1-2", 400, b"", None),
        ("bytes=10-", 416, b"", None),
        ("bytes=-0", 416, b"", None),
    ],
)
async def test_ranges(mf: Pyflare, header: str, status: int, body: bytes, content_range: str | None) -> None:
    response = await mf.dispatch_fetch(f"{BASE}/pics/cat.txt", headers={"Range": header})
    assert response.status_code == status
    assert response.content == body
    assert response.headers.get("content-range") == content_range


async def test_conditionals(mf: Pyflare) -> None:
    etag = (await mf.dispatch_fetch(f"{BASE}/pics/cat.txt")).headers["etag"]
    not_modified = await mf.dispatch_fetch(f"{BASE}/pics/cat.txt", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    failed = await mf.dispatch_fetch(f"{BASE}/pics/cat.txt", headers={"If-Match": '"nope"'})
    assert failed.status_code == 412
    held = await mf.dispatch_fetch(f"{BASE}/pics/cat.txt", headers={"If-Match": etag})
    assert held.status_code == 200
    past = await mf.dispatch_fetch(f"{BASE}/pics/cat.txt",
                                   headers={"If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert past.status_code == 412


async def test_the_worker_still_owns_every_other_path(mf: Pyflare) -> None:
    assert (await mf.dispatch_fetch("/cdn-cgi-not/local")).text == "worker"
    assert (await mf.dispatch_fetch("/media/pics/cat.txt")).text == "worker"
    assert (await mf.dispatch_fetch("/cdn-cgi/local/unknown")).status_code == 404


async def test_foreign_host_cannot_read_a_bucket(mf: Pyflare) -> None:
    assert (await mf.dispatch_fetch(f"{BASE}/pics/cat.txt", headers={"host": "evil.example"})).status_code == 403
    assert (await mf.dispatch_fetch(f"{BASE}/pics/cat.txt", headers={"host": "localhost:8787"})).status_code == 200
