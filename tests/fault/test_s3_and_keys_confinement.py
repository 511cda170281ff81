"""S3 credentials reach their own buckets only (a CopyObject or UploadPartCopy source included), and no key or
CLI argument (from a worker, over S3 or on the command line) ever becomes a path outside the state folder:
keys that look like paths are stored as keys, names are made file-safe."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import s3_client, serve_on_loopback

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
            yield mf, s3_client(f"{url}/cdn-cgi/local/r2/s3", "alpha-key", "alpha-secret")


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


def test_cli_arguments_never_name_a_file_outside_the_state_folder(worker_dir: Any, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from pyflare.cli import main

    config = worker_dir(CONFIG, {"src/entry.py": ENTRY})
    upload = tmp_path / "upload.txt"
    upload.write_text("uploaded")
    state = ["--config", str(config), "--persist-to", str(tmp_path / "state")]
    before = {p for p in tmp_path.rglob("*")}
    assert main(["kv", "key", "put", "k", "v", "--namespace-id", "../../../escaped", *state]) == 0
    assert main(["kv", "key", "put", "../../../escaped", "v", "--binding", "KV", *state]) == 0
    assert main(["r2", "object", "put", "alpha/../../../escaped", "--file", str(upload), *state]) == 0
    assert main(["r2", "object", "get", "alpha/../../../escaped", "--pipe", *state]) == 0
    assert capsys.readouterr().out.endswith("uploaded")
    assert main(["r2", "object", "put", "../escaped/key", "--file", str(upload), *state]) == 2  # no such bucket
    assert main(["d1", "execute", "../../escaped", "--command", "SELECT 1", *state]) == 1  # no such database
    created = {p for p in tmp_path.rglob("*")} - before
    folder = tmp_path / "state"
    assert [p for p in created if p != folder and folder not in p.parents] == []
    assert not [p for p in created if p.name == "escaped"]  # a namespace id is a readable name plus a hash
