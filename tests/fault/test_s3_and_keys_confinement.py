"""S3 credentials reach their own buckets only (a CopyObject or UploadPartCopy source included), and no key,
from a worker or over S3, ever becomes a path: keys that look like paths are stored as keys."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from tests.conftest import serve_on_loopback

from pyflare import Pyflare

CONFIG = """
name = "scope"
main = "src/entry.py"
compatibility_date = "2025-11-01"

[[r2_buckets]]
binding = "ALPHA"
bucket_name = "alpha"
local_dev = { experimental_s3_credentials = { accessKeyId = "alpha-key", secretAccessKey = "alpha-secret" } }

[[r2_buckets]]
binding = "ALSO_ALPHA"
bucket_name = "alpha-two"
local_dev = { experimental_s3_credentials = { accessKeyId = "alpha-key", secretAccessKey = "alpha-secret" } }

[[r2_buckets]]
binding = "OTHER"
bucket_name = "other"
local_dev = { experimental_s3_credentials = { accessKeyId = "other-key", secretAccessKey = "other-secret" } }

[[r2_buckets]]
binding = "HIDDEN"
bucket_name = "hidden"

[[kv_namespaces]]
binding = "KV"
id = "kv"
"""

ENTRY = "from workers import Response\ndef on_fetch(request):\n    return Response('ok')\n"

PATH_LIKE_KEYS = ["../../escaped", "/etc/passwd", "a/../../../b", "..", "./x", "dir/", "..\\..\\win", "%2e%2e/x"]


@pytest.fixture
async def served(worker_dir: Any, tmp_path: Path) -> Any:
    async with Pyflare(worker_dir(CONFIG, {"src/entry.py": ENTRY}), persist_to=tmp_path / "state") as mf:
        await mf.env.OTHER.put("secret", "OTHER'S OBJECT")
        await mf.env.HIDDEN.put("hidden", "NOT SERVED OVER S3")
        await mf.env.ALSO_ALPHA.put("shared", "SAME CREDENTIALS")
        async with serve_on_loopback(mf.asgi_app) as url:
            client = boto3.client("s3", endpoint_url=f"{url}/cdn-cgi/local/r2/s3", aws_access_key_id="alpha-key",
                                  aws_secret_access_key="alpha-secret", region_name="auto",
                                  config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
            yield mf, client


async def refused(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(ClientError) as info:
        await asyncio.to_thread(call, *args, **kwargs)
    return info.value.response["ResponseMetadata"]["HTTPStatusCode"], info.value.response["Error"]["Code"]


async def test_a_copy_cannot_read_a_bucket_of_other_credentials(served: Any) -> None:
    mf, s3 = served
    source = {"Bucket": "other", "Key": "secret"}
    assert await refused(s3.copy_object, Bucket="alpha", Key="stolen", CopySource=source) == (401, "Unauthorized")
    upload = (await asyncio.to_thread(s3.create_multipart_upload, Bucket="alpha", Key="mp"))["UploadId"]
    assert await refused(s3.upload_part_copy, Bucket="alpha", Key="mp", UploadId=upload, PartNumber=1,
                         CopySource=source) == (401, "Unauthorized")
    hidden = {"Bucket": "hidden", "Key": "hidden"}
    assert await refused(s3.copy_object, Bucket="alpha", Key="stolen", CopySource=hidden) == (404, "NoSuchBucket")
    assert await mf.env.ALPHA.get("stolen") is None


async def test_buckets_sharing_the_credentials_can_copy_between_them(served: Any) -> None:
    mf, s3 = served
    await asyncio.to_thread(s3.copy_object, Bucket="alpha", Key="copied",
                            CopySource={"Bucket": "alpha-two", "Key": "shared"})
    assert await (await mf.env.ALPHA.get("copied")).text() == "SAME CREDENTIALS"


async def test_path_like_keys_stay_keys(served: Any, tmp_path: Path) -> None:
    mf, s3 = served
    before = {p for p in tmp_path.rglob("*")}
    for index, key in enumerate(PATH_LIKE_KEYS):
        await mf.env.ALPHA.put(key, f"binding {index}")
        if key != "..":  # KV refuses this one name ('".." is not allowed as a key name.')
            await mf.env.KV.put(key, f"kv {index}")
        await asyncio.to_thread(s3.put_object, Bucket="alpha-two", Key=key, Body=f"s3 {index}".encode())
    for index, key in enumerate(PATH_LIKE_KEYS):
        assert await (await mf.env.ALPHA.get(key)).text() == f"binding {index}"
        if key != "..":
            assert await mf.env.KV.get(key) == f"kv {index}"
        body = (await asyncio.to_thread(s3.get_object, Bucket="alpha-two", Key=key))["Body"].read()
        assert body == f"s3 {index}".encode()
    created = {p for p in tmp_path.rglob("*")} - before
    state = tmp_path / "state"
    assert [p for p in created if state not in p.parents] == []  # nothing outside the state folder
    assert not [p for p in created if p.name in ("escaped", "passwd", "b", "win", "x")]  # and no file named by a key
