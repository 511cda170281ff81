import json

import pytest

METADATA = [{"plan": "pro"}, {"n": 1}, {"tags": ["a", "b"]}, {"nested": {"deep": True}}, {"empty": ""}]
DOCUMENTS = [{"name": "Ada"}, [1, 2, 3], {"a": {"b": {"c": None}}}, "just a string", 42]
TTLS = [60, 120, 3600, 86400, 604800]


@pytest.mark.parametrize("metadata", METADATA)
async def test_keeps_metadata(pyflare, metadata):
    await pyflare.env.KV.put("k", "v", metadata=metadata)
    got = await pyflare.env.KV.getWithMetadata("k")
    assert got["value"] == "v"
    assert got["metadata"] == metadata


@pytest.mark.parametrize("document", DOCUMENTS)
async def test_reads_json_back(pyflare, document):
    await pyflare.env.KV.put("doc", json.dumps(document))
    assert await pyflare.env.KV.get("doc", "json") == document


@pytest.mark.parametrize("ttl", TTLS)
async def test_lists_the_expiration_of_a_ttl(pyflare, ttl):
    now = pyflare.clock.time_ms() // 1000
    await pyflare.env.KV.put("session", "s", expirationTtl=ttl)
    keys = (await pyflare.env.KV.list())["keys"]
    assert len(keys) == 1
    assert now + ttl <= keys[0]["expiration"] <= now + ttl + 5
    assert await pyflare.env.KV.get("session") == "s"


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 9])
async def test_pages_a_list(pyflare, limit):
    for i in range(10):
        await pyflare.env.KV.put(f"key-{i}", str(i))
    first = await pyflare.env.KV.list(limit=limit)
    assert [k["name"] for k in first["keys"]] == [f"key-{i}" for i in range(limit)]
    assert first["list_complete"] is False
    rest = await pyflare.env.KV.list(cursor=first["cursor"])
    assert len(rest["keys"]) == 10 - limit
    assert rest["list_complete"] is True
