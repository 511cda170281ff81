"""End to end: a Python worker using self.env.BUCKET, driven over HTTP."""

from __future__ import annotations

import hashlib

import pytest

WORKER = '''
from workers import WorkerEntrypoint, Response, Headers


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = request.url.split("://", 1)[1]
        path = url.split("/", 1)[1].split("?", 1)[0]
        bucket = self.env.BUCKET
        if request.method == "PUT":
            obj = await bucket.put(path, request.body, httpMetadata=request.headers,
                                   customMetadata={"via": "worker"})
            return Response.json({"key": obj.key, "etag": obj.etag, "size": obj.size})
        if request.method == "DELETE":
            await bucket.delete(path)
            return Response(None, status=204)
        if path == "":
            listed = await bucket.list(delimiter="/")
            return Response.json({"keys": [o.key for o in listed.objects],
                                  "prefixes": listed.delimitedPrefixes})
        obj = await bucket.get(path, range=request.headers, onlyIf=request.headers)
        if obj is None:
            return Response("not found", status=404)
        headers = Headers()
        obj.writeHttpMetadata(headers)
        headers.set("etag", obj.httpEtag)
        if not hasattr(obj, "body"):
            return Response(None, status=304, headers=headers)
        status = 206 if request.headers.get("range") else 200
        return Response(obj.body, status=status, headers=headers)
'''


@pytest.fixture
async def worker(start_r2_worker):
    return await start_r2_worker(WORKER)


async def test_put_then_get_through_worker(worker):
    put = await worker.dispatch_fetch("/docs/a.txt", method="PUT", content=b"hello world",
                                      headers={"content-type": "text/plain"})
    assert put.json() == {"key": "docs/a.txt", "etag": hashlib.md5(b"hello world").hexdigest(), "size": 11}
    got = await worker.dispatch_fetch("/docs/a.txt")
    assert got.status_code == 200
    assert got.content == b"hello world"
    assert got.headers["content-type"] == "text/plain"
    assert got.headers["etag"] == f'"{hashlib.md5(b"hello world").hexdigest()}"'


async def test_range_request_through_worker(worker):
    await worker.dispatch_fetch("/f", method="PUT", content=b"0123456789")
    got = await worker.dispatch_fetch("/f", headers={"range": "bytes=2-4"})
    assert got.status_code == 206
    assert got.content == b"234"


async def test_conditional_get_through_worker(worker):
    put = await worker.dispatch_fetch("/f", method="PUT", content=b"x")
    etag = put.json()["etag"]
    got = await worker.dispatch_fetch("/f", headers={"if-none-match": f'"{etag}"'})
    assert got.status_code == 304


async def test_list_and_delete_through_worker(worker):
    for key in ("a/1", "a/2", "b"):
        await worker.dispatch_fetch(f"/{key}", method="PUT", content=key.encode())
    assert (await worker.dispatch_fetch("/")).json() == {"keys": ["b"], "prefixes": ["a/"]}
    assert (await worker.dispatch_fetch("/b", method="DELETE")).status_code == 204
    assert (await worker.dispatch_fetch("/b")).status_code == 404


async def test_worker_and_test_share_the_bucket(worker):
    await worker.env.BUCKET.put("from-test", "hi", httpMetadata={"contentType": "text/x"})
    got = await worker.dispatch_fetch("/from-test")
    assert got.text == "hi" and got.headers["content-type"] == "text/x"
    await worker.dispatch_fetch("/from-worker", method="PUT", content=b"yo")
    obj = await worker.env.BUCKET.get("from-worker")
    assert obj.customMetadata == {"via": "worker"}


async def test_large_streamed_upload_through_worker(worker):
    data = bytes(range(256)) * 40_000  # ~10 MB, streamed request body
    put = await worker.dispatch_fetch("/big", method="PUT", content=data)
    assert put.json()["size"] == len(data)
    assert (await worker.dispatch_fetch("/big")).content == data
