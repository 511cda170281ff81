"""R2's S3 API at /cdn-cgi/local/r2/s3, driven by botocore (boto3) as users drive it, over a real socket."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from tests.conftest import s3_client, serve_on_loopback

from pyflare import Pyflare

CONFIG = """
name = "s3-test"
main = "src/entry.py"
compatibility_date = "2026-01-01"

[[r2_buckets]]
binding = "UPLOADS"
bucket_name = "uploads"
local_dev = { experimental_s3_credentials = { accessKeyId = "dev-key", secretAccessKey = "dev-secret" } }

[[r2_buckets]]
binding = "PRIVATE"
bucket_name = "private"
"""

ENTRY = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        obj = await self.env.UPLOADS.get(request.url.split("/", 3)[3])
        if obj is None:
            return Response("missing", status=404)
        return Response(await obj.text(), headers={"x-meta": (obj.customMetadata or {}).get("owner", "")})
"""


@dataclass
class S3Setup:
    mf: Pyflare
    url: str
    endpoint: str

    def client(self, secret: str = "dev-secret", key: str = "dev-key") -> Any:
        return s3_client(self.endpoint, key, secret)

    async def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a blocking botocore call in a thread while the test's loop serves it."""
        return await asyncio.to_thread(fn, *args, **kwargs)


@pytest.fixture
async def s3(worker_dir: Callable[..., Any]) -> AsyncIterator[S3Setup]:
    mf = Pyflare(worker_dir(CONFIG, {"src/entry.py": ENTRY}), clock="manual")
    await mf.start()
    try:
        async with serve_on_loopback(mf.asgi_app) as url:
            yield S3Setup(mf, url, f"{url}/cdn-cgi/local/r2/s3")
    finally:
        await mf.close()


async def test_put_then_get_through_boto3_and_the_binding(s3: S3Setup) -> None:
    client = s3.client()
    put = await s3.call(client.put_object, Bucket="uploads", Key="docs/a b.txt", Body=b"hello s3",
                        ContentType="text/plain", Metadata={"owner": "ana"})
    assert put["ETag"].startswith('"')
    got = await s3.call(client.get_object, Bucket="uploads", Key="docs/a b.txt")
    assert got["Body"].read() == b"hello s3"
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"owner": "ana"}
    assert got["ETag"] == put["ETag"]
    # The worker's binding sees the same object, with the same metadata.
    obj = await s3.mf.env.UPLOADS.get("docs/a b.txt")
    assert await obj.text() == "hello s3"
    assert obj.customMetadata["owner"] == "ana"
    assert obj.httpEtag == put["ETag"]


async def test_head_list_and_delete(s3: S3Setup) -> None:
    client = s3.client()
    for key in ("a/1", "a/2", "b/3", "c"):
        await s3.mf.env.UPLOADS.put(key, key * 3)
    head = await s3.call(client.head_object, Bucket="uploads", Key="a/2")
    assert head["ContentLength"] == 9
    listed = await s3.call(client.list_objects_v2, Bucket="uploads", Delimiter="/")
    assert [o["Key"] for o in listed["Contents"]] == ["c"]
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["a/", "b/"]
    paged = await s3.call(client.list_objects_v2, Bucket="uploads", MaxKeys=2)
    assert paged["IsTruncated"] and paged["KeyCount"] == 2
    rest = await s3.call(client.list_objects_v2, Bucket="uploads", ContinuationToken=paged["NextContinuationToken"])
    assert [o["Key"] for o in paged["Contents"] + rest["Contents"]] == ["a/1", "a/2", "b/3", "c"]
    v1 = await s3.call(client.list_objects, Bucket="uploads", Prefix="a/")
    assert [o["Key"] for o in v1["Contents"]] == ["a/1", "a/2"]
    await s3.call(client.delete_object, Bucket="uploads", Key="c")
    deleted = await s3.call(client.delete_objects, Bucket="uploads",
                            Delete={"Objects": [{"Key": "a/1"}, {"Key": "missing"}]})
    assert sorted(d["Key"] for d in deleted["Deleted"]) == ["a/1", "missing"]
    left = await s3.mf.env.UPLOADS.list()
    assert [o.key for o in left.objects] == ["a/2", "b/3"]
    with pytest.raises(ClientError) as missing:
        await s3.call(client.head_object, Bucket="uploads", Key="c")
    assert missing.value.response["Error"]["Code"] == "404"


async def test_bucket_operations(s3: S3Setup) -> None:
    client = s3.client()
    await s3.call(client.head_bucket, Bucket="uploads")
    location = await s3.call(client.get_bucket_location, Bucket="uploads")
    assert location["LocationConstraint"] == "auto"
    buckets = await s3.call(client.list_buckets)
    # Only buckets the credentials open are listed; "private" has none.
    assert [b["Name"] for b in buckets["Buckets"]] == ["uploads"]


async def test_unknown_bucket_and_bucket_without_credentials_do_not_exist(s3: S3Setup) -> None:
    client = s3.client()
    for bucket in ("nope", "private"):
        with pytest.raises(ClientError) as error:
            await s3.call(client.get_object, Bucket=bucket, Key="k")
        assert error.value.response["Error"]["Code"] == "NoSuchBucket"


async def test_wrong_secret_is_refused_and_nothing_is_stored(s3: S3Setup) -> None:
    with pytest.raises(ClientError) as error:
        await s3.call(s3.client(secret="wrong").put_object, Bucket="uploads", Key="k", Body=b"x")
    assert error.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    with pytest.raises(ClientError) as unknown_key:
        await s3.call(s3.client(key="someone-else").put_object, Bucket="uploads", Key="k", Body=b"x")
    assert unknown_key.value.response["Error"]["Code"] == "Unauthorized"
    assert await s3.mf.env.UPLOADS.head("k") is None


async def test_unsigned_request_is_denied(s3: S3Setup) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.put(f"{s3.endpoint}/uploads/k", content=b"x")
    assert response.status_code == 403
    assert b"<Code>AccessDenied</Code>" in response.content
    assert await s3.mf.env.UPLOADS.head("k") is None


async def test_ranges_and_conditionals(s3: S3Setup) -> None:
    client = s3.client()
    await s3.mf.env.UPLOADS.put("r", "0123456789")
    part = await s3.call(client.get_object, Bucket="uploads", Key="r", Range="bytes=2-4")
    assert part["Body"].read() == b"234"
    assert part["ContentRange"] == "bytes 2-4/10"
    with pytest.raises(ClientError) as unsatisfiable:
        await s3.call(client.get_object, Bucket="uploads", Key="r", Range="bytes=20-")
    assert unsatisfiable.value.response["Error"]["Code"] == "InvalidRange"
    etag = (await s3.call(client.head_object, Bucket="uploads", Key="r"))["ETag"]
    with pytest.raises(ClientError) as precondition:
        await s3.call(client.get_object, Bucket="uploads", Key="r", IfMatch='"other"')
    assert precondition.value.response["Error"]["Code"] == "PreconditionFailed"
    with pytest.raises(ClientError) as not_modified:
        await s3.call(client.get_object, Bucket="uploads", Key="r", IfNoneMatch=etag)
    assert not_modified.value.response["Error"]["Code"] == "304"


async def test_copy_object_keeps_or_replaces_metadata(s3: S3Setup) -> None:
    client = s3.client()
    await s3.mf.env.UPLOADS.put("src", "payload", customMetadata={"a": "1"}, httpMetadata={"contentType": "x/y"})
    await s3.call(client.copy_object, Bucket="uploads", Key="copy", CopySource={"Bucket": "uploads", "Key": "src"})
    copy = await s3.mf.env.UPLOADS.get("copy")
    assert await copy.text() == "payload" and copy.customMetadata == {"a": "1"}
    assert copy.httpMetadata["contentType"] == "x/y"
    await s3.call(client.copy_object, Bucket="uploads", Key="copy2", CopySource="uploads/src",
                  MetadataDirective="REPLACE", Metadata={"b": "2"}, ContentType="text/plain")
    replaced = await s3.mf.env.UPLOADS.head("copy2")
    assert replaced.customMetadata == {"b": "2"} and replaced.httpMetadata["contentType"] == "text/plain"


async def test_multipart_upload_with_part_copy(s3: S3Setup) -> None:
    client = s3.client()
    five_mib = 5 * 1024 * 1024
    await s3.mf.env.UPLOADS.put("source", b"s" * 1000)
    upload = await s3.call(client.create_multipart_upload, Bucket="uploads", Key="big", ContentType="video/mp4")
    upload_id = upload["UploadId"]
    first = await s3.call(client.upload_part, Bucket="uploads", Key="big", UploadId=upload_id, PartNumber=1,
                          Body=b"a" * five_mib)
    second = await s3.call(client.upload_part_copy, Bucket="uploads", Key="big", UploadId=upload_id,
                           PartNumber=2, CopySource="uploads/source", CopySourceRange="bytes=0-99")
    done = await s3.call(client.complete_multipart_upload, Bucket="uploads", Key="big", UploadId=upload_id,
                         MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": first["ETag"]},
                                                    {"PartNumber": 2, "ETag": second["CopyPartResult"]["ETag"]}]})
    assert done["ETag"].endswith('-2"')
    obj = await s3.mf.env.UPLOADS.get("big")
    assert obj.size == five_mib + 100
    assert obj.httpMetadata["contentType"] == "video/mp4"
    assert obj.httpEtag == done["ETag"]


async def test_multipart_abort_and_small_part_errors(s3: S3Setup) -> None:
    client = s3.client()
    upload_id = (await s3.call(client.create_multipart_upload, Bucket="uploads", Key="m"))["UploadId"]
    p1 = await s3.call(client.upload_part, Bucket="uploads", Key="m", UploadId=upload_id, PartNumber=1, Body=b"x")
    p2 = await s3.call(client.upload_part, Bucket="uploads", Key="m", UploadId=upload_id, PartNumber=2, Body=b"y")
    with pytest.raises(ClientError) as small:
        await s3.call(client.complete_multipart_upload, Bucket="uploads", Key="m", UploadId=upload_id,
                      MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1["ETag"]},
                                                 {"PartNumber": 2, "ETag": p2["ETag"]}]})
    assert small.value.response["Error"]["Code"] == "EntityTooSmall"
    await s3.call(client.abort_multipart_upload, Bucket="uploads", Key="m", UploadId=upload_id)
    with pytest.raises(ClientError) as gone:
        await s3.call(client.upload_part, Bucket="uploads", Key="m", UploadId=upload_id, PartNumber=3, Body=b"z")
    assert gone.value.response["Error"]["Code"] == "NoSuchUpload"


async def test_presigned_put_then_get_with_a_plain_http_client(s3: S3Setup) -> None:
    client = s3.client()
    put_url = client.generate_presigned_url("put_object", Params={"Bucket": "uploads", "Key": "up/photo.jpg"},
                                            ExpiresIn=3600)
    async with httpx.AsyncClient() as http:
        stored = await http.put(put_url, content=b"jpeg bytes")
        assert stored.status_code == 200, stored.text
        get_url = client.generate_presigned_url("get_object", Params={"Bucket": "uploads", "Key": "up/photo.jpg"},
                                                ExpiresIn=60)
        fetched = await http.get(get_url)
    assert fetched.content == b"jpeg bytes"
    assert await (await s3.mf.env.UPLOADS.get("up/photo.jpg")).text() == "jpeg bytes"


async def test_presigned_url_expires_on_pyflares_clock(s3: S3Setup) -> None:
    url = s3.client().generate_presigned_url("put_object", Params={"Bucket": "uploads", "Key": "late"}, ExpiresIn=60)
    s3.mf.clock.advance(61)
    async with httpx.AsyncClient() as http:
        response = await http.put(url, content=b"too late")
    assert response.status_code == 403
    assert b"<Code>ExpiredRequest</Code>" in response.content
    assert await s3.mf.env.UPLOADS.head("late") is None


async def test_tampered_presigned_url_is_refused(s3: S3Setup) -> None:
    url = s3.client().generate_presigned_url("get_object", Params={"Bucket": "uploads", "Key": "a"}, ExpiresIn=60)
    async with httpx.AsyncClient() as http:
        response = await http.get(url.replace("/uploads/a?", "/uploads/b?"))
    assert response.status_code == 403
    assert b"SignatureDoesNotMatch" in response.content


async def test_expect_100_continue_is_answered(s3: S3Setup) -> None:
    """The AWS SDKs send Expect: 100-continue and wait for the interim answer before the body."""
    url = s3.client().generate_presigned_url("put_object", Params={"Bucket": "uploads", "Key": "exp"}, ExpiresIn=60)
    target = url.split(str(s3.url), 1)[1]
    port = int(s3.url.rsplit(":", 1)[1])

    def exchange() -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(f"PUT {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 4\r\n"
                         "Expect: 100-continue\r\n\r\n".encode())
            interim = sock.recv(4096)
            sock.sendall(b"body")
            final = sock.recv(4096)
            return interim + b"|" + final

    answer = await asyncio.to_thread(exchange)
    assert answer.startswith(b"HTTP/1.1 100 Continue")
    assert b"|HTTP/1.1 200" in answer
    assert await (await s3.mf.env.UPLOADS.get("exp")).text() == "body"


async def test_a_corrupted_body_is_not_stored(s3: S3Setup) -> None:
    """A signed payload hash that does not match the body is refused before anything is written."""
    client = s3.client()
    client.meta.events.register("before-send.s3.PutObject",
                                lambda request, **_: setattr(request, "body", b"tampered"))
    with pytest.raises(ClientError) as error:
        await s3.call(client.put_object, Bucket="uploads", Key="t", Body=b"original")
    assert error.value.response["Error"]["Code"] in ("XAmzContentSHA256Mismatch", "BadDigest")
    assert await s3.mf.env.UPLOADS.head("t") is None


async def test_the_worker_reads_what_s3_wrote(s3: S3Setup) -> None:
    await s3.call(s3.client().put_object, Bucket="uploads", Key="w", Body=b"from s3", Metadata={"owner": "bo"})
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{s3.url}/w")
    assert response.text == "from s3" and response.headers["x-meta"] == "bo"


async def test_a_browser_preflight_and_upload_get_each_cors_header_once(s3: S3Setup) -> None:
    # A browser refuses an answer carrying Access-Control-Allow-Origin twice ("*, *"): each header must be
    # there once, and Authorization (which the "*" of Allow-Headers does not cover) must be allowed by name.
    client = s3.client()
    url = client.generate_presigned_url("put_object", Params={"Bucket": "uploads", "Key": "from-page.txt"})
    async with httpx.AsyncClient() as http:
        preflight = await http.request("OPTIONS", url, headers={
            "Origin": "http://localhost:5173", "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization,content-type,x-amz-date"})
        upload = await http.put(url, content=b"from a page", headers={"Origin": "http://localhost:5173"})
    assert preflight.status_code == 204
    for name in ("access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers"):
        assert len(preflight.headers.get_list(name)) == 1, (name, preflight.headers)
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "PUT" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == "authorization,content-type,x-amz-date"
    assert upload.status_code == 200
    assert upload.headers.get_list("access-control-allow-origin") == ["*"]
    assert (await s3.mf.env.UPLOADS.get("from-page.txt")) is not None
