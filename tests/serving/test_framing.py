"""HTTP framing as Cloudflare sends it: no length on 204/304, Content-Length for R2 streams (HEAD too),
and Cloudflare's answers to oversized URLs and headers, over a real socket and in-process."""

from __future__ import annotations

import pytest

CONFIG = """
name = "framing"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]

[[r2_buckets]]
binding = "BUCKET"
bucket_name = "files"
"""

ENTRY = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("/", 3)[-1]
        if path.startswith("status/"):
            return Response(None, status=int(path[7:]))
        if path == "object":
            obj = await self.env.BUCKET.get("object")
            if obj is None:
                await self.env.BUCKET.put("object", b"0123456789" * 1000)
                obj = await self.env.BUCKET.get("object")
            return Response(obj.body, headers={"etag": obj.httpEtag})
        return Response("ok")
"""


def head_of(answer: bytes) -> tuple[str, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], headers, body


@pytest.fixture
async def mf(start_worker):
    return await start_worker(CONFIG, {"src/entry.py": ENTRY})


@pytest.mark.parametrize("status", [204, 304])
async def test_no_content_length_on_204_and_304(mf, serve, status):
    server = await serve(mf)
    line, headers, body = head_of(await server.raw(f"GET /status/{status} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".encode()))
    assert line.split()[1] == str(status)
    assert "content-length" not in headers and "transfer-encoding" not in headers
    assert body == b""


async def test_r2_stream_is_sent_with_content_length(mf, serve):
    server = await serve(mf)
    line, headers, body = head_of(await server.raw(b"GET /object HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
    assert headers.get("content-length") == "10000"
    assert "transfer-encoding" not in headers
    assert body == b"0123456789" * 1000


async def test_head_of_r2_stream_has_its_length_and_no_body(mf, serve):
    server = await serve(mf)
    await mf.dispatch_fetch("/object")  # store it
    line, headers, body = head_of(await server.raw(b"HEAD /object HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
    assert line.endswith("200 OK")
    assert headers.get("content-length") == "10000"
    assert body == b""


@pytest.mark.parametrize("http", ["httptools", "h11"])
async def test_url_over_16kb_gets_414(mf, serve, http):
    server = await serve(mf, http=http)
    ok = head_of(await server.raw(f"GET /{'a' * 16000} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".encode()))
    assert ok[0].split()[1] == "200"
    line, _, body = head_of(await server.raw(f"GET /{'a' * 16400} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".encode()))
    assert line.split()[1] == "414" and b"16 KB" in body


@pytest.mark.parametrize("http", ["httptools", "h11"])
async def test_headers_over_the_limits_get_431(mf, serve, http):
    server = await serve(mf, http=http)
    many = "".join(f"X-H{i}: {'v' * 10000}\r\n" for i in range(14))  # 140 KB in total
    line, _, body = head_of(await server.raw(f"GET / HTTP/1.1\r\nHost: a\r\n{many}Connection: close\r\n\r\n".encode()))
    assert line.split()[1] == "431" and b"128 KB" in body
    one = f"X-Big: {'v' * 17000}\r\n"
    line, _, _ = head_of(await server.raw(f"GET / HTTP/1.1\r\nHost: a\r\n{one}Connection: close\r\n\r\n".encode()))
    assert line.split()[1] == "431"
    fine = f"X-Ok: {'v' * 15000}\r\n"
    line, _, _ = head_of(await server.raw(f"GET / HTTP/1.1\r\nHost: a\r\n{fine}Connection: close\r\n\r\n".encode()))
    assert line.split()[1] == "200"


async def test_limits_apply_in_process_too(mf):
    assert (await mf.dispatch_fetch("/" + "a" * 17000)).status_code == 414
    assert (await mf.dispatch_fetch("/", headers={"x-big": "v" * 17000})).status_code == 431
    assert (await mf.dispatch_fetch("/status/204")).headers.get("content-length") is None
