"""Limits and error texts ("<method>: <message> (<code>)")."""

from __future__ import annotations

import pytest

from pyflare.bindings.r2 import errors


async def test_key_of_1024_bytes_is_allowed(bucket):
    await bucket.put("k" * 1024, "v")
    assert (await bucket.head("k" * 1024)).size == 1


@pytest.mark.parametrize("method", ["head", "get", "put", "delete"])
async def test_key_over_1024_bytes_is_invalid(bucket, method):
    args = ("é" * 513, "v") if method == "put" else ("é" * 513,)
    with pytest.raises(errors.InvalidObjectName) as info:
        await getattr(bucket, method)(*args)
    assert str(info.value) == f"{method}: The specified object name is not valid. (10020)"
    assert info.value.code == 10020


async def test_create_multipart_key_limit(bucket):
    with pytest.raises(errors.InvalidObjectName, match=r"^createMultipartUpload: .* \(10020\)$"):
        await bucket.createMultipartUpload("x" * 1025)


async def test_key_that_is_not_a_string_is_read_as_javascript_writes_it(bucket):
    await bucket.put(1, "one")  # workerd reads the key parameter as a string
    assert (await bucket.head("1")).key == "1"
    assert (await bucket.head(1.0)).key == "1"  # 1.0 is the JavaScript number 1


async def test_custom_metadata_of_2048_is_allowed(bucket):
    await bucket.put("k", "v", customMetadata={"a" * 1024: "b" * 1024})


async def test_custom_metadata_over_2048_is_too_large(bucket):
    with pytest.raises(errors.MetadataTooLarge) as info:
        await bucket.put("k", "v", customMetadata={"a" * 1024: "b" * 1025})
    assert str(info.value) == "put: Your metadata headers exceed the maximum allowed metadata size. (10012)"


async def test_custom_metadata_non_latin1_counts_double(bucket):
    with pytest.raises(errors.MetadataTooLarge):
        await bucket.put("k", "v", customMetadata={"k": "€" * 1024})


async def test_custom_metadata_values_are_read_as_strings(bucket):
    await bucket.put("k", "v", customMetadata={"n": 1, "f": 1.5, "t": True, "l": [1, 2], "d": {"a": 1}})
    assert (await bucket.head("k")).customMetadata == {
        "n": "1", "f": "1.5", "t": "true", "l": "1,2", "d": "[object Object]"}


async def test_custom_metadata_must_be_a_dict(bucket):
    for value in ("text", None):  # None is JavaScript's null: not an object either
        with pytest.raises(TypeError, match="^Incorrect type for the 'customMetadata' field on 'PutOptions'"):
            await bucket.put("k", "v", customMetadata=value)


async def test_object_over_max_size_is_too_large(bucket, store):
    store.max_value_size = 100

    async def stream():
        for _ in range(3):
            yield b"x" * 60

    with pytest.raises(errors.EntityTooLarge) as info:
        await bucket.put("k", stream())
    assert str(info.value) == "put: Your proposed upload exceeds the maximum allowed object size. (100100)"
    assert await bucket.head("k") is None
    assert list(store.blobs.folder.iterdir()) == []


async def test_object_at_max_size_is_allowed(bucket, store):
    store.max_value_size = 100
    await bucket.put("k", b"x" * 100)


def test_max_object_size_is_5_gib_minus_5_mib():
    from pyflare.bindings.r2 import constants

    assert constants.MAX_VALUE_SIZE == 5 * 1024**3 - 5 * 1024**2


async def test_delete_of_1000_keys_is_allowed(bucket):
    await bucket.delete([f"k{i}" for i in range(1000)])


async def test_delete_of_more_than_1000_keys_fails(bucket):
    with pytest.raises(errors.InvalidArgument, match=r"^delete: .*1000.* \(10029\)$"):
        await bucket.delete([f"k{i}" for i in range(1001)])


async def test_failed_put_keeps_previous_value(bucket):
    await bucket.put("k", "old")
    with pytest.raises(errors.MetadataTooLarge):
        await bucket.put("k", "new", customMetadata={"x": "y" * 3000})
    assert await (await bucket.get("k")).text() == "old"


async def test_invalid_storage_class(bucket):
    with pytest.raises(errors.InvalidArgument):
        await bucket.put("k", "v", storageClass="Glacier")


async def test_infrequent_access_storage_class(bucket):
    obj = await bucket.put("k", "v", storageClass="InfrequentAccess")
    assert obj.storageClass == "InfrequentAccess"
