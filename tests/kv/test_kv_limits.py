"""Every KV limit, with Cloudflare's exact error texts (and whether they are TypeErrors or KV errors)."""

from __future__ import annotations

import math

import pytest

from pyflare.bindings.kv import KVError

MIB25 = 26214400


# -- keys ------------------------------------------------------------------------------------------
async def test_key_of_512_bytes_is_accepted(kv):
    await kv.put("k" * 512, "v")
    assert await kv.get("k" * 512) == "v"


@pytest.mark.parametrize(
    ("call", "op"),
    [
        (lambda kv, k: kv.put(k, "v"), "PUT"),
        (lambda kv, k: kv.get(k), "GET"),
        (lambda kv, k: kv.getWithMetadata(k), "GET"),
        (lambda kv, k: kv.delete(k), "DELETE"),
    ],
)
async def test_key_over_512_bytes_is_refused_with_414(kv, call, op):
    with pytest.raises(KVError) as info:
        await call(kv, "k" * 513)
    assert (
        str(info.value) == f"KV {op} failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
    )
    assert info.value.status == 414


async def test_key_length_counts_utf8_bytes(kv):
    key = "é" * 257  # 514 bytes, 257 characters
    with pytest.raises(KVError, match="UTF-8 encoded length of 514 exceeds"):
        await kv.put(key, "v")


async def test_empty_key_is_a_type_error(kv):
    with pytest.raises(TypeError) as info:
        await kv.put("", "v")
    assert str(info.value) == "Key name cannot be empty."


@pytest.mark.parametrize("key", [".", ".."])
async def test_dot_keys_are_type_errors(kv, key):
    for call in (kv.get(key), kv.put(key, "v"), kv.delete(key)):
        with pytest.raises(TypeError) as info:
            await call
        assert str(info.value) == f'"{key}" is not allowed as a key name.'


async def test_dots_inside_keys_are_fine(kv):
    await kv.put("...", "v")
    await kv.put("a.b", "w")
    assert await kv.get("...") == "v"


async def test_non_string_key_is_read_as_javascript_writes_it(kv):
    # workerd reads the key parameter as a string: 123 -> "123", 1.0 -> "1", None -> "null"
    await kv.put(123, "a")
    await kv.put(1.0, "b")
    await kv.put(None, "c")
    assert [await kv.get(k) for k in ("123", "1", "null")] == ["a", "b", "c"]
    assert await kv.get(123) == "a"


async def test_key_with_a_lone_surrogate_is_refused_by_the_kv_service(kv):
    with pytest.raises(KVError, match="^KV PUT failed: 400 Could not URL-decode key name$"):
        await kv.put("a\ud800", "v")


# -- values ----------------------------------------------------------------------------------------
async def test_value_of_exactly_25_mib_is_accepted(kv):
    await kv.put("big", b"x" * MIB25)
    assert len(await kv.get("big", "arrayBuffer")) == MIB25


async def test_value_over_25_mib_is_refused_with_413(kv):
    with pytest.raises(KVError) as info:
        await kv.put("big", b"x" * (MIB25 + 1))
    assert str(info.value) == "KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400."
    assert await kv.get("big") is None


async def test_text_value_size_counts_utf8_bytes(kv):
    with pytest.raises(KVError, match="Value length of 26214402 exceeds"):
        await kv.put("big", "é" * (MIB25 // 2 + 1))


async def test_streamed_value_over_the_limit_reports_its_full_length(kv):
    async def chunks():
        for _ in range(26):
            yield b"x" * (1024 * 1024)

    with pytest.raises(KVError) as info:
        await kv.put("big", chunks())
    assert (
        str(info.value) == f"KV PUT failed: 413 Value length of {26 * 1024 * 1024} exceeds limit of 26214400."
    )


# -- metadata --------------------------------------------------------------------------------------
async def test_metadata_of_1024_json_bytes_is_accepted(kv):
    metadata = {"a": "x" * (1024 - len('{"a":""}'))}
    await kv.put("k", "v", metadata=metadata)
    assert (await kv.getWithMetadata("k")).metadata == metadata


async def test_metadata_over_1024_json_bytes_is_refused_with_413(kv):
    metadata = {"a": "x" * (1025 - len('{"a":""}'))}
    with pytest.raises(KVError) as info:
        await kv.put("k", "v", metadata=metadata)
    assert str(info.value) == "KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024."


async def test_metadata_length_is_of_compact_utf8_json(kv):
    # {"k":"ééé..."}: 8 bytes of syntax + 2 bytes per é
    with pytest.raises(KVError, match="Metadata length of 1026 exceeds"):
        await kv.put("k", "v", metadata={"k": "é" * 509})


async def test_metadata_that_is_not_json_is_a_type_error(kv):
    with pytest.raises(TypeError):
        await kv.put("k", "v", metadata={"when": object()})


# -- expiration ------------------------------------------------------------------------------------
async def test_expiration_ttl_of_60_is_accepted(kv):
    await kv.put("k", "v", expirationTtl=60)


async def test_expiration_ttl_under_60_is_refused(kv):
    with pytest.raises(KVError) as info:
        await kv.put("k", "v", expirationTtl=30)
    assert (
        str(info.value)
        == "KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60."
    )


@pytest.mark.parametrize("ttl", [0, -5])
async def test_expiration_ttl_not_positive_is_refused(kv, ttl):
    with pytest.raises(KVError) as info:
        await kv.put("k", "v", expirationTtl=ttl)
    assert str(info.value) == (
        f"KV PUT failed: 400 Invalid expiration_ttl of {ttl}. Please specify integer greater than 0."
    )


async def test_expiration_under_60_seconds_ahead_is_refused(mf, kv):
    when = math.floor(mf.clock.time()) + 59
    with pytest.raises(KVError) as info:
        await kv.put("k", "v", expiration=when)
    assert str(info.value) == (
        f"KV PUT failed: 400 Invalid expiration of {when}. Expiration times must be at least 60 seconds in the future."
    )


async def test_expiration_in_the_past_is_refused(mf, kv):
    when = math.floor(mf.clock.time()) - 10
    with pytest.raises(KVError) as info:
        await kv.put("k", "v", expiration=when)
    assert str(info.value) == (
        f"KV PUT failed: 400 Invalid expiration of {when}. Please specify integer greater than the current "
        "number of seconds since the UNIX epoch."
    )


async def test_expiration_60_seconds_ahead_is_accepted(mf, kv):
    await kv.put("k", "v", expiration=math.floor(mf.clock.time()) + 60)
    assert await kv.get("k") == "v"


async def test_expiration_ttl_wins_over_expiration(mf, kv):
    now = math.floor(mf.clock.time())
    await kv.put("k", "v", expiration=now - 100, expirationTtl=120)
    assert (await kv.list())["keys"][0]["expiration"] == now + 120


# -- cacheTtl --------------------------------------------------------------------------------------
async def test_cache_ttl_under_30_is_refused(kv):
    with pytest.raises(KVError) as info:
        await kv.get("k", cacheTtl=29)
    assert str(info.value) == "KV GET failed: 400 Invalid cache_ttl of 29. Cache TTL must be at least 30."


async def test_cache_ttl_of_30_is_accepted_and_ignored(kv):
    await kv.put("k", "v")
    assert await kv.get("k", cacheTtl=30) == "v"


async def test_get_with_metadata_checks_cache_ttl_too(kv):
    with pytest.raises(KVError, match="^KV GET failed: 400 Invalid cache_ttl of 10"):
        await kv.getWithMetadata("k", {"cacheTtl": 10})


# -- list ------------------------------------------------------------------------------------------
async def test_list_limit_over_1000_is_refused(kv):
    with pytest.raises(KVError) as info:
        await kv.list(limit=1001)
    assert str(info.value) == (
        "KV GET failed: 400 Invalid key_count_limit of 1001. Please specify an integer less than 1000."
    )


async def test_list_limit_of_1000_is_accepted(kv):
    assert (await kv.list(limit=1000))["list_complete"] is True


async def test_list_limit_of_zero_means_the_default(kv):
    await kv.put("a", "1")
    assert [k.name for k in (await kv.list(limit=0)).keys] == ["a"]


async def test_list_prefix_over_512_bytes_is_refused(kv):
    with pytest.raises(KVError, match="^KV GET failed: 414 UTF-8 encoded length of 513"):
        await kv.list(prefix="p" * 513)


# -- bulk get --------------------------------------------------------------------------------------
async def test_bulk_get_of_100_keys_is_accepted(kv):
    result = await kv.get([f"k{i}" for i in range(100)])
    assert len(result) == 100


async def test_bulk_get_over_100_keys_is_refused(kv):
    with pytest.raises(KVError) as info:
        await kv.get([f"k{i}" for i in range(101)])
    assert str(info.value) == "KV GET_BULK failed: 400 You can request a maximum of 100 keys"


async def test_bulk_get_of_no_keys_is_refused(kv):
    with pytest.raises(KVError) as info:
        await kv.get([])
    assert str(info.value) == "KV GET_BULK failed: 400 You must request a minimum of 1 key"


@pytest.mark.parametrize("kind", ["arrayBuffer", "stream"])
async def test_bulk_get_allows_only_text_and_json(kv, kind):
    with pytest.raises(KVError) as info:
        await kv.get(["a"], kind)
    assert str(info.value) == f'KV GET_BULK failed: 400 "{kind}" is not a valid type. Use "json" or "text"'


async def test_bulk_get_checks_each_key(kv):
    with pytest.raises(KVError, match="^KV GET_BULK failed: 400 Key names must not be empty$"):
        await kv.get(["a", ""])
    with pytest.raises(
        KVError, match='^KV GET_BULK failed: 400 Illegal key name "..". Please use a different name.$'
    ):
        await kv.get([".."])
    with pytest.raises(KVError, match="^KV GET_BULK failed: 414 UTF-8 encoded length of 513"):
        await kv.get(["k" * 513])


async def test_bulk_get_json_of_a_non_json_value_is_refused(kv):
    await kv.put("bad", "nope")
    with pytest.raises(KVError) as info:
        await kv.get(["bad"], "json")
    assert str(info.value) == (
        "KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value"
    )


async def test_bulk_get_checks_cache_ttl(kv):
    with pytest.raises(KVError, match="^KV GET_BULK failed: 400 Invalid cache_ttl of 5"):
        await kv.get(["a"], cacheTtl=5)


async def test_bulk_get_refuses_more_than_25_mib_in_total(kv):
    await kv.put("a", "x" * (MIB25 // 2 + 1))
    await kv.put("b", "x" * (MIB25 // 2 + 1))
    with pytest.raises(KVError) as info:
        await kv.get(["a", "b"])
    assert str(info.value) == "KV GET_BULK failed: 413 Total size of request exceeds the limit of 25MB"
