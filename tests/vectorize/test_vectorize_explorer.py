"""The local explorer lists Vectorize indexes with their vector counts (API and page)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.conftest import serve_on_loopback

API = "/cdn-cgi/local/explorer/api"


async def test_the_explorer_lists_indexes_with_their_vector_counts(mf):
    from pyflare.bindings.vectorize import catalog_for

    await mf.env.VECTORS.insert([{"id": "a", "values": [1, 0, 0, 0]}, {"id": "b", "values": [0, 1, 0, 0]}])
    catalog_for(mf.platform).create("unbound", 8, "euclidean", "made by the CLI")
    body = (await mf.dispatch_fetch(API + "/vectorize/v2/indexes")).json()
    assert body["success"] is True
    docs, unbound = body["result"]
    assert (docs["name"], docs["config"], docs["vectorCount"], docs["bindings"]) == (
        "docs", {"dimensions": 4, "metric": "cosine"}, 2, ["vectorize-test.VECTORS"])
    assert docs["metadataIndexes"]["category"] == "string"
    assert (unbound["name"], unbound["vectorCount"], unbound["bindings"], unbound["description"]) == (
        "unbound", 0, [], "made by the CLI")
    page = (await mf.dispatch_fetch("/cdn-cgi/local/explorer/")).text
    assert 'href="#vectorize"' in page and "async vectorize()" in page


async def test_the_explorer_page_shows_the_indexes(start_worker, vectorize_worker):
    from tests.explorer.test_browser import CHROMIUM_ARGS  # needs playwright: imported here

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    playwright = pytest.importorskip("playwright.async_api")
    if not Path(chromium).exists():
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    mf = await start_worker(*vectorize_worker, clock="manual")
    await mf.env.VECTORS.insert([{"id": str(i), "values": [1, i, 0, 0]} for i in range(7)])
    async with serve_on_loopback(mf.asgi_app) as url, playwright.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = await browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"{url}/cdn-cgi/local/explorer#vectorize")
        row = page.locator("#vectorize-indexes tr", has_text="docs")
        await row.wait_for()
        assert "cosine" in await row.inner_text() and "\t7\t" in await row.inner_text()
        await browser.close()
        assert errors == []
