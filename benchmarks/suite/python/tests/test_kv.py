from urllib.parse import quote

import pytest
from helpers import call

KEYS = ["alpha", "beta", "with space", "ünïcode", "deep/nested/key"]


def path(key):
    return f"/kv/{quote(key, safe='')}"


@pytest.mark.parametrize("key", KEYS)
async def test_stores(pyflare, key):
    assert (await call(pyflare, path(key), "PUT", f"value of {key}")).status_code == 201
    response = await call(pyflare, path(key))
    assert response.status_code == 200
    assert response.text == f"value of {key}"


@pytest.mark.parametrize("key", KEYS)
async def test_serves_what_the_test_wrote(pyflare, key):
    await pyflare.env.KV.put(key, key.upper())
    response = await call(pyflare, path(key))
    assert response.status_code == 200
    assert response.text == key.upper()


@pytest.mark.parametrize("key", KEYS)
async def test_deletes(pyflare, key):
    await call(pyflare, path(key), "PUT", "x")
    assert (await call(pyflare, path(key), "DELETE")).status_code == 204
    assert (await call(pyflare, path(key))).status_code == 404
    assert await pyflare.env.KV.get(key) is None


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
async def test_lists_keys_under_a_prefix(pyflare, n):
    for i in range(n):
        await pyflare.env.KV.put(f"p/{i}", "v")
    await pyflare.env.KV.put("q/other", "v")
    response = await call(pyflare, "/kv?prefix=p/")
    assert response.json() == [f"p/{i}" for i in range(n)]
