"""Multipart uploads: create, uploadPart, complete, abort, resume, and R2's part rules."""

from __future__ import annotations

import hashlib

import pytest

from pyflare.bindings.r2 import R2Plugin, errors
from pyflare.bindings.r2.constants import MIN_PART_SIZE

MIB = 1024 * 1024


async def test_create_returns_upload_with_key_and_id(bucket):
    upload = await bucket.createMultipartUpload("big")
    assert upload.key == "big"
    assert isinstance(upload.uploadId, str) and len(upload.uploadId) > 20


async def test_full_upload_with_real_5_mib_parts(bucket, store):
    upload = await bucket.createMultipartUpload(
        "big", httpMetadata={"contentType": "video/mp4"}, customMetadata={"a": "b"}
    )
    part1 = b"1" * MIN_PART_SIZE
    part2 = b"2" * 1000
    p1 = await upload.uploadPart(1, part1)
    p2 = await upload.uploadPart(2, part2)
    assert p1 == {"partNumber": 1, "etag": p1.etag}
    obj = await upload.complete([p1, p2])
    expected = hashlib.md5(hashlib.md5(part1).digest() + hashlib.md5(part2).digest()).hexdigest() + "-2"
    assert obj.etag == expected
    assert obj.size == MIN_PART_SIZE + 1000
    assert obj.httpMetadata == {"contentType": "video/mp4"}
    assert obj.customMetadata == {"a": "b"}
    got = await bucket.get("big")
    assert got.etag == expected
    assert hashlib.md5(await got.bytes()).hexdigest() == hashlib.md5(part1 + part2).hexdigest()
    # Parts are read in place: no concatenated copy.
    assert len(list(store.blobs.folder.iterdir())) == 2


async def test_real_minimum_part_size_is_5_mib(bucket):
    upload = await bucket.createMultipartUpload("k")
    p1 = await upload.uploadPart(1, b"x" * (5 * MIB - 1))
    p2 = await upload.uploadPart(2, b"y")
    with pytest.raises(errors.EntityTooSmall) as info:
        await upload.complete([p1, p2])
    assert str(info.value) == (
        "completeMultipartUpload: Your proposed upload is smaller than the minimum allowed object size. (10011)"
    )


async def test_single_small_part_is_fine(bucket):
    upload = await bucket.createMultipartUpload("k")
    part = await upload.uploadPart(1, b"tiny")
    obj = await upload.complete([part])
    assert obj.etag == hashlib.md5(hashlib.md5(b"tiny").digest()).hexdigest() + "-1"
    assert await (await bucket.get("k")).text() == "tiny"


async def test_parts_complete_in_part_number_order(bucket, small_parts):
    upload = await bucket.createMultipartUpload("k")
    p2 = await upload.uploadPart(2, b"B" * 10)
    p1 = await upload.uploadPart(1, b"A" * 10)
    p3 = await upload.uploadPart(3, b"C")
    await upload.complete([p1, p2, p3])
    assert await (await bucket.get("k")).text() == "A" * 10 + "B" * 10 + "C"


async def test_unequal_non_last_parts_is_bad_upload(bucket, small_parts):
    upload = await bucket.createMultipartUpload("k")
    p1 = await upload.uploadPart(1, b"a" * 10)
    p2 = await upload.uploadPart(2, b"b" * 11)
    p3 = await upload.uploadPart(3, b"c")
    with pytest.raises(errors.BadUpload) as info:
        await upload.complete([p1, p2, p3])
    assert str(info.value) == "completeMultipartUpload: There was a problem with the multipart upload. (10048)"


async def test_last_part_larger_than_others_is_bad_upload(bucket, small_parts):
    upload = await bucket.createMultipartUpload("k")
    p1 = await upload.uploadPart(1, b"a" * 10)
    p2 = await upload.uploadPart(2, b"b" * 20)
    with pytest.raises(errors.BadUpload):
        await upload.complete([p1, p2])


async def test_wrong_etag_is_invalid_part(bucket, small_parts):
    upload = await bucket.createMultipartUpload("k")
    p1 = await upload.uploadPart(1, b"a" * 10)
    with pytest.raises(errors.InvalidPart) as info:
        await upload.complete([{"partNumber": 1, "etag": "bogus"}])
    assert str(info.value) == (
        "completeMultipartUpload: One or more of the specified parts could not be found. (10025)"
    )
    await upload.complete([p1])  # the upload is still usable


async def test_missing_part_is_invalid_part(bucket, small_parts):
    upload = await bucket.createMultipartUpload("k")
    p1 = await upload.uploadPart(1, b"a")
    with pytest.raises(errors.InvalidPart):
        await upload.complete([p1, {"partNumber": 2, "etag": p1.etag}])


async def test_reuploaded_part_replaces_old_one(bucket, small_parts, store):
    upload = await bucket.createMultipartUpload("k")
    old = await upload.uploadPart(1, b"old")
    new = await upload.uploadPart(1, b"new")
    assert old.etag != new.etag
    with pytest.raises(errors.InvalidPart):
        await upload.complete([old])
    await upload.complete([new])
    assert await (await bucket.get("k")).text() == "new"
    assert len(list(store.blobs.folder.iterdir())) == 1


async def test_unlisted_parts_are_dropped_on_complete(bucket, small_parts, store):
    upload = await bucket.createMultipartUpload("k")
    p1 = await upload.uploadPart(1, b"a")
    await upload.uploadPart(2, b"b")
    await upload.complete([p1])
    assert len(list(store.blobs.folder.iterdir())) == 1


@pytest.mark.parametrize("number", [0, 10001, -1])
async def test_part_number_out_of_range(bucket, number):
    upload = await bucket.createMultipartUpload("k")
    with pytest.raises(TypeError, match=f"Part number must be between 1 and 10000 \\(inclusive\\). Actual value was: {number}"):
        await upload.uploadPart(number, b"x")


async def test_part_number_10000_is_allowed(bucket):
    upload = await bucket.createMultipartUpload("k")
    await upload.uploadPart(10000, b"x")


async def test_upload_part_to_unknown_upload(bucket):
    upload = bucket.resumeMultipartUpload("k", "not-an-upload")
    with pytest.raises(errors.NoSuchUpload) as info:
        await upload.uploadPart(1, b"x")
    assert str(info.value) == "uploadPart: The specified multipart upload does not exist. (10024)"


async def test_upload_id_belongs_to_its_key(bucket):
    upload = await bucket.createMultipartUpload("a")
    with pytest.raises(errors.NoSuchUpload):
        await bucket.resumeMultipartUpload("b", upload.uploadId).uploadPart(1, b"x")


async def test_resume_continues_an_upload(bucket, small_parts):
    upload = await bucket.createMultipartUpload("k")
    p1 = await upload.uploadPart(1, b"a" * 10)
    resumed = bucket.resumeMultipartUpload("k", upload.uploadId)
    p2 = await resumed.uploadPart(2, b"b")
    await resumed.complete([p1, p2])
    assert await (await bucket.get("k")).text() == "a" * 10 + "b"


async def test_complete_twice_is_no_such_upload(bucket):
    upload = await bucket.createMultipartUpload("k")
    part = await upload.uploadPart(1, b"x")
    await upload.complete([part])
    with pytest.raises(errors.NoSuchUpload, match=r"^completeMultipartUpload: .* \(10024\)$"):
        await upload.complete([part])


async def test_upload_part_after_complete_is_no_such_upload(bucket):
    upload = await bucket.createMultipartUpload("k")
    await upload.complete([await upload.uploadPart(1, b"x")])
    with pytest.raises(errors.NoSuchUpload):
        await upload.uploadPart(2, b"y")


async def test_abort_drops_parts(bucket, store):
    upload = await bucket.createMultipartUpload("k")
    part = await upload.uploadPart(1, b"x")
    await upload.abort()
    assert list(store.blobs.folder.iterdir()) == []
    assert await bucket.head("k") is None
    with pytest.raises(errors.NoSuchUpload):
        await upload.complete([part])


async def test_abort_is_idempotent(bucket):
    upload = await bucket.createMultipartUpload("k")
    await upload.abort()
    await upload.abort()


async def test_abort_after_complete_keeps_object(bucket):
    upload = await bucket.createMultipartUpload("k")
    await upload.complete([await upload.uploadPart(1, b"x")])
    await upload.abort()
    assert await (await bucket.get("k")).text() == "x"


async def test_abort_unknown_upload_is_no_such_upload(bucket):
    with pytest.raises(errors.NoSuchUpload, match=r"^abortMultipartUpload: "):
        await bucket.resumeMultipartUpload("k", "nope").abort()


async def test_duplicate_part_numbers_in_complete(bucket):
    upload = await bucket.createMultipartUpload("k")
    part = await upload.uploadPart(1, b"x")
    with pytest.raises(errors.InternalError):
        await upload.complete([part, part])


async def test_overwriting_multipart_object_frees_its_parts(bucket, small_parts, store):
    upload = await bucket.createMultipartUpload("k")
    p1 = await upload.uploadPart(1, b"a" * 10)
    p2 = await upload.uploadPart(2, b"b")
    await upload.complete([p1, p2])
    await bucket.put("k", "plain")
    assert len(list(store.blobs.folder.iterdir())) == 1
    await bucket.delete("k")
    assert list(store.blobs.folder.iterdir()) == []


async def test_multipart_over_max_size_is_too_large(bucket, small_parts):
    small_parts.max_value_size = 15
    upload = await bucket.createMultipartUpload("k")
    p1 = await upload.uploadPart(1, b"a" * 10)
    p2 = await upload.uploadPart(2, b"b" * 10)
    with pytest.raises(errors.EntityTooLarge):
        await upload.complete([p1, p2])


async def test_in_progress_upload_does_not_affect_existing_object(bucket, small_parts):
    await bucket.put("k", "existing")
    upload = await bucket.createMultipartUpload("k")
    await upload.uploadPart(1, b"new")
    assert await (await bucket.get("k")).text() == "existing"


async def test_multipart_create_validates_metadata(bucket):
    with pytest.raises(errors.MetadataTooLarge, match="^createMultipartUpload: "):
        await bucket.createMultipartUpload("k", customMetadata={"a": "b" * 3000})


async def test_multipart_parts_stream_without_concatenation(mf, bucket, small_parts):
    upload = await bucket.createMultipartUpload("k")
    parts = [await upload.uploadPart(i, bytes([64 + i]) * 10) for i in range(1, 5)]
    await upload.complete(parts)
    chunks = [c async for c in (await bucket.get("k")).body]
    assert len(chunks) == 4  # one read per part blob
    assert mf.plugin(R2Plugin) is not None
