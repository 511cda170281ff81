"""put(md5=/sha1=/sha256=/sha384=/sha512=): verification, BadDigest, and stored checksums."""

from __future__ import annotations

import hashlib

import pytest

from pyflare.bindings.r2 import errors

DATA = b"checksum me"


@pytest.mark.parametrize("name", ["md5", "sha1", "sha256", "sha384", "sha512"])
async def test_matching_hex_checksum_is_stored(bucket, name):
    digest = hashlib.new(name, DATA)
    obj = await bucket.put("k", DATA, **{name: digest.hexdigest()})
    assert getattr(obj.checksums, name) == digest.digest()
    assert obj.checksums.toJSON()[name] == digest.hexdigest()
    assert (await bucket.head("k")).checksums.toJSON()[name] == digest.hexdigest()


@pytest.mark.parametrize("name", ["md5", "sha256"])
async def test_matching_bytes_checksum(bucket, name):
    await bucket.put("k", DATA, **{name: hashlib.new(name, DATA).digest()})


async def test_uppercase_hex_is_accepted(bucket):
    obj = await bucket.put("k", DATA, sha1=hashlib.sha1(DATA).hexdigest().upper())
    assert obj.checksums.toJSON()["sha1"] == hashlib.sha1(DATA).hexdigest()


async def test_mismatch_is_bad_digest(bucket, store):
    wrong = "0" * 64
    with pytest.raises(errors.BadDigest) as info:
        await bucket.put("k", DATA, sha256=wrong)
    actual = hashlib.sha256(DATA).hexdigest()
    assert str(info.value) == (
        "put: The SHA-256 checksum you specified did not match what we received.\n"
        f"You provided a SHA-256 checksum with value: {wrong}\n"
        f"Actual SHA-256 was: {actual} (10037)"
    )
    assert await bucket.head("k") is None
    assert list(store.blobs.folder.iterdir()) == []


async def test_multiple_algorithms_is_type_error(bucket):
    with pytest.raises(TypeError, match="You cannot specify multiple hashing algorithms."):
        await bucket.put("k", DATA, md5=hashlib.md5(DATA).hexdigest(), sha1=hashlib.sha1(DATA).hexdigest())


async def test_wrong_hex_length(bucket):
    with pytest.raises(TypeError, match="MD5 is 32 hex characters, not 3"):
        await bucket.put("k", DATA, md5="abc")


async def test_wrong_byte_length(bucket):
    with pytest.raises(TypeError, match="SHA-1 is 20 bytes, not 2"):
        await bucket.put("k", DATA, sha1=b"ab")


async def test_invalid_hex(bucket):
    with pytest.raises(TypeError, match="Provided SHA-256 wasn't a valid hex string"):
        await bucket.put("k", DATA, sha256="z" * 64)


async def test_md5_is_always_computed(bucket):
    obj = await bucket.put("k", DATA, sha512=hashlib.sha512(DATA).hexdigest())
    assert set(obj.checksums.toJSON()) == {"md5", "sha512"}
