from urllib.parse import quote

import pytest
from helpers import call

TYPES = ["text/plain", "application/json", "text/html", "image/svg+xml", "application/octet-stream"]
SIZES = [0, 1, 100, 4096, 65536]


@pytest.mark.parametrize("content_type", TYPES)
async def test_serves_an_object_with_its_content_type(pyflare, content_type):
    put = await call(pyflare, "/r2/file", "PUT", f"a {content_type} body", {"content-type": content_type})
    assert put.status_code == 201
    response = await call(pyflare, "/r2/file")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.text == f"a {content_type} body"


@pytest.mark.parametrize("size", SIZES)
async def test_reports_the_size(pyflare, size):
    response = await call(pyflare, "/r2/sized", "PUT", "x" * size)
    assert response.json() == {"key": "sized", "size": size}
    head = await pyflare.env.BUCKET.head("sized")
    assert head.size == size


@pytest.mark.parametrize("key", ["a", "b/c", "d e", "ø", "x/y/z"])
async def test_deletes(pyflare, key):
    await pyflare.env.BUCKET.put(key, "gone soon")
    assert (await call(pyflare, f"/r2/{quote(key, safe='')}", "DELETE")).status_code == 204
    assert await pyflare.env.BUCKET.head(key) is None
    assert (await call(pyflare, f"/r2/{quote(key, safe='')}")).status_code == 404


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
async def test_lists_objects_under_a_prefix(pyflare, n):
    for i in range(n):
        await pyflare.env.BUCKET.put(f"img/{i}.png", "png")
    await pyflare.env.BUCKET.put("doc/readme", "text")
    response = await call(pyflare, "/r2?prefix=img/")
    assert response.json() == [f"img/{i}.png" for i in range(n)]
