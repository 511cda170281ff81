"""list(): order, prefixes, pages, cursors (start-after, so they stay right while keys change)."""

from __future__ import annotations

import base64

from pyflare.bindings.kv.store import prefix_upper_bound


def names(result):
    return [key["name"] for key in result["keys"]]


async def test_list_of_an_empty_namespace(kv):
    assert await kv.list() == {"keys": [], "list_complete": True, "cacheStatus": None}


async def test_list_returns_keys_sorted_by_utf8_bytes(kv):
    for key in ["b", "a", "B", "ä", "a/b", "🔑", "aa"]:
        await kv.put(key, "v")
    assert names(await kv.list()) == ["B", "a", "a/b", "aa", "b", "ä", "🔑"]


async def test_list_result_allows_attribute_access(kv):
    await kv.put("a", "1")
    result = await kv.list()
    assert result.keys[0].name == "a" and result.list_complete is True and result.cacheStatus is None
    assert "cursor" not in result


async def test_list_prefix_is_case_sensitive(kv):
    for key in ["user:1", "User:2", "user:3", "users", "admin"]:
        await kv.put(key, "v")
    assert names(await kv.list(prefix="user:")) == ["user:1", "user:3"]
    assert names(await kv.list(prefix="User")) == ["User:2"]


async def test_list_prefix_accepts_an_options_dict(kv):
    await kv.put("p1", "v")
    await kv.put("q1", "v")
    assert names(await kv.list({"prefix": "p"})) == ["p1"]


async def test_list_entries_carry_expiration_and_metadata_only_when_set(mf, kv):
    await kv.put("plain", "v")
    await kv.put("rich", "v", expirationTtl=120, metadata={"n": 1})
    keys = (await kv.list())["keys"]
    assert keys[0] == {"name": "plain"}
    assert keys[1] == {"name": "rich", "expiration": int(mf.clock.time()) + 120, "metadata": {"n": 1}}


async def test_list_pages_with_limit_and_cursor(kv):
    for i in range(5):
        await kv.put(f"k{i}", "v")
    first = await kv.list(limit=2)
    assert names(first) == ["k0", "k1"] and first["list_complete"] is False
    second = await kv.list(limit=2, cursor=first["cursor"])
    assert names(second) == ["k2", "k3"] and second["list_complete"] is False
    third = await kv.list(limit=2, cursor=second["cursor"])
    assert names(third) == ["k4"] and third["list_complete"] is True and "cursor" not in third


async def test_cursor_is_base64_of_the_last_key_returned(kv):
    for key in ("a", "b"):
        await kv.put(key, "v")
    page = await kv.list(limit=1)
    assert base64.b64decode(page["cursor"]).decode() == "a"


async def test_a_full_page_that_ends_the_list_is_complete(kv):
    await kv.put("a", "v")
    await kv.put("b", "v")
    result = await kv.list(limit=2)
    assert result["list_complete"] is True and "cursor" not in result


async def test_cursor_stays_correct_while_keys_are_added(kv):
    for key in ("b", "d", "f"):
        await kv.put(key, "v")
    first = await kv.list(limit=2)
    assert names(first) == ["b", "d"]
    await kv.put("a", "v")  # before the cursor: not in later pages
    await kv.put("c", "v")  # before the cursor too
    await kv.put("e", "v")  # after it: must appear
    rest = await kv.list(cursor=first["cursor"])
    assert names(rest) == ["e", "f"]


async def test_cursor_stays_correct_when_the_last_key_is_deleted(kv):
    for key in ("a", "b", "c"):
        await kv.put(key, "v")
    first = await kv.list(limit=2)
    await kv.delete("b")
    assert names(await kv.list(cursor=first["cursor"])) == ["c"]


async def test_cursor_with_prefix(kv):
    for key in ("x1", "x2", "x3", "y1"):
        await kv.put(key, "v")
    first = await kv.list(prefix="x", limit=2)
    rest = await kv.list(prefix="x", cursor=first["cursor"])
    assert names(rest) == ["x3"] and rest["list_complete"] is True


async def test_listing_every_page_sees_every_key_once(kv):
    expected = sorted(f"key-{i:04d}" for i in range(250))
    for key in expected:
        await kv.put(key, "v")
    seen, cursor = [], None
    while True:
        page = await kv.list(limit=100, cursor=cursor)
        seen += names(page)
        if page["list_complete"]:
            break
        cursor = page["cursor"]
    assert seen == expected


async def test_deleted_keys_are_not_listed(kv):
    await kv.put("a", "v")
    await kv.put("b", "v")
    await kv.delete("a")
    assert names(await kv.list()) == ["b"]


def test_prefix_upper_bound():
    assert prefix_upper_bound("abc") == "abd"
    assert prefix_upper_bound("") is None
    assert prefix_upper_bound("a\U0010ffff") == "b"
    assert prefix_upper_bound("\ud7ff") == "\ue000"
