"""The explorer's Traces view in a real browser (Playwright driving Debian's chromium): a request's trace drawn
as a waterfall of its spans, filters and search.

Set PYFLARE_EXPLORER_SCREENSHOTS=<folder> to save docs/img/explorer-traces.png's screenshot.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.conftest import serve_on_loopback
from tests.explorer.test_browser import CHROMIUM, CHROMIUM_ARGS

from pyflare import Pyflare

playwright = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)")

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "observability"


async def test_a_trace_as_a_waterfall_with_filters_and_search() -> None:
    shots = os.environ.get("PYFLARE_EXPLORER_SCREENSHOTS")
    async with Pyflare([EXAMPLE / "wrangler.toml", EXAMPLE / "tail" / "wrangler.toml"], clock="manual") as mf:
        await mf.dispatch_fetch("/order?item=book&user=ada")
        await mf.dispatch_fetch("/fail")
        mf.clock.advance(1)
        await mf.idle()
        order = (await mf.traces.list(search="catalog miss"))[0]

        async with serve_on_loopback(mf.asgi_app) as url, playwright.async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(f"{url}/cdn-cgi/local/explorer#traces")
            await page.wait_for_selector("#tr-list >> text=GET /order?item=book&user=ada")
            assert await page.is_visible("#tr-list >> text=GET /fail")
            assert await page.is_visible("#tr-list >> text=queue orders")

            await page.click("#tr-list >> text=GET /order?item=book&user=ada")
            await page.wait_for_selector("#tr-waterfall")
            labels = await page.locator("#tr-waterfall .wf-label").all_inner_texts()
            assert labels[0] == "GET /order?item=book&user=ada" and len(labels) == len(order.spans)
            for name in ("kv_get", "kv_put", "d1_exec", "d1_first", "durable_object_subrequest", "Cart.add",
                         "durable_object_storage_put", "queue_send"):
                assert name in labels, name
            assert await page.is_visible("#tr-logs >> text=catalog miss")
            await page.click("#tr-waterfall .wf-row:has-text('d1_first')")
            await page.wait_for_selector("#tr-span-attributes >> text=db.query.text")
            assert await page.is_visible("#tr-span-attributes >> text=INSERT INTO orders")
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(Path(shots) / "explorer-traces.png"), full_page=True)

            await page.select_option("#tr-outcome", "error")
            await page.click("#tr-filter")
            await page.wait_for_selector("#tr-list >> text=GET /fail")
            assert not await page.is_visible("#tr-list >> text=GET /order?item=book&user=ada")
            await page.select_option("#tr-outcome", "")
            await page.fill("#tr-search", "shipping order")
            await page.click("#tr-filter")
            await page.wait_for_selector("#tr-list >> text=queue orders")
            assert not await page.is_visible("#tr-list >> text=GET /fail")
            await browser.close()
            assert errors == []


async def test_a_workflow_instances_attempts_and_retry_wait_on_a_timeline(start_worker) -> None:
    from tests.observability.test_dev_output import FLOW_CONFIG, FLOW_ENTRY
    from tests.workflows.workflow_helpers import settle, status_of

    shots = os.environ.get("PYFLARE_EXPLORER_SCREENSHOTS")
    mf = await start_worker(FLOW_CONFIG, {"src/entry.py": FLOW_ENTRY}, clock="manual")
    await mf.env.FLOW.create({"id": "order-1"})
    await settle()
    mf.clock.advance(10)
    await status_of(mf, "order-1", "errored")
    async with serve_on_loopback(mf.asgi_app) as url, playwright.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"{url}/cdn-cgi/local/explorer#workflows")
        await page.click("a.wf-instance[data-id='order-1']")
        await page.wait_for_selector("#wf-timeline")
        labels = await page.locator("#wf-timeline .wf-label").all_inner_texts()
        assert labels == ["charge · attempt 1", "charge · attempt 2"]
        assert await page.locator("#wf-timeline .wf-row.failed").count() == 2
        if shots:
            await page.screenshot(path=str(Path(shots) / "explorer-workflow-timeline.png"), full_page=True)
        await browser.close()
    assert errors == []
