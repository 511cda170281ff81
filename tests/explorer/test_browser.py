"""The explorer in a real browser: Playwright driving Debian's chromium through every view.

Set PYFLARE_EXPLORER_SCREENSHOTS=<folder> to save a screenshot of each view (docs/explorer.md uses them).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import serve_on_loopback
from tests.explorer.test_api import CONFIG as API_CONFIG
from tests.explorer.test_api import ENTRY as API_ENTRY

from pyflare.testing import dead_letters, drain, introspect_workflow_instance
from pyflare.workers import Response

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)")

CONFIG = API_CONFIG + """
[[durable_objects.bindings]]
name = "ROOM"
class_name = "Room"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Room"]

[[workflows]]
binding = "FLOW"
name = "flow"
class_name = "Flow"
"""
ENTRY = API_ENTRY + """
from js import WebSocketPair
from workers import DurableObject, WorkflowEntrypoint

class Flow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("prepare")
        async def prepare():
            return "ready"

        await prepare()
        approval = await step.wait_for_event("approval", "approved", timeout="1 hour")
        return approval["payload"]

class Room(DurableObject):
    async def post(self, text):
        await self.ctx.storage.put("last", text)
        return text

    async def fetch(self, request):
        client, server = WebSocketPair.new().object_values()
        self.ctx.acceptWebSocket(server, ["room:lobby", "user:ada"])
        server.serializeAttachment({"user": "ada"})
        return Response(None, status=101, web_socket=client)
"""
# Flags for a root, network-less machine: no sandbox, no GPU, no calls home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


async def test_click_through_every_view(start_worker: Callable[..., Any], tmp_path: Path) -> None:
    shots = os.environ.get("PYFLARE_EXPLORER_SCREENSHOTS")
    mf = await start_worker(CONFIG, {"src/entry.py": ENTRY}, clock="manual")
    await mf.env.CACHE.put("greeting", "hello", metadata={"lang": "en"})
    await mf.env.DB.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
    await mf.env.DB.prepare("INSERT INTO items (name) VALUES (?)").bind("pen").run()
    await mf.env.ROOM.getByName("lobby").post("hi")
    upgrade = await mf.env.ROOM.getByName("lobby").fetch("https://room/ws", headers={"upgrade": "websocket"})
    upgrade.web_socket.accept()  # a hibernatable socket the object holds while the page looks at it
    await mf.caches.default.put("https://shop.example/pen", Response("pen", headers={"cache-control": "max-age=600"}))
    await mf.env.JOBS.send({"n": 1, "fail": True})
    await drain(mf)
    [dead] = dead_letters(mf, "jobs-dlq")
    await mf.env.FLOW.create({"id": "order-7", "params": {}})
    introspector = await introspect_workflow_instance(mf.env.FLOW, "order-7")
    await introspector.wait_for_status("waiting", timeout=5)
    upload = tmp_path / "photo.txt"
    upload.write_text("uploaded from the browser")

    async with serve_on_loopback(mf.asgi_app) as url, playwright.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))

        async def snap(name: str) -> None:
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(Path(shots) / f"explorer-{name}.png"), full_page=True)

        async def view(name: str, ready: str) -> None:
            await page.click(f"nav a[data-view='{name}']")
            await page.wait_for_selector(ready)
            await snap(name)

        await page.goto(f"{url}/cdn-cgi/local/explorer")
        await page.wait_for_selector("text=CACHE")
        await view("workers", "text=KV Namespace")

        await view("kv", "#kv-keys >> text=greeting")
        assert await page.is_visible("#kv-keys >> text=hello")
        await page.fill("#kv-key", "added")
        await page.fill("#kv-value", "from the page")
        await page.click("#kv-put")
        await page.wait_for_selector("#kv-keys >> text=added")
        assert await mf.env.CACHE.get("added") == "from the page"

        await view("r2", "#r2-objects")
        created = await page.inner_text("#r2-created")
        assert created.startswith(datetime.fromtimestamp(mf.clock.time(), timezone.utc).date().isoformat()), created
        await page.set_input_files("#r2-file", str(upload))
        await page.click("#r2-upload")
        await page.wait_for_selector("#r2-objects >> text=photo.txt")
        assert await (await mf.env.FILES.get("photo.txt")).text() == "uploaded from the browser"

        await view("d1", "#d1-tables >> text=items")
        await page.fill("#d1-sql", "SELECT name FROM items")
        await page.click("#d1-run")
        await page.wait_for_selector("#d1-result >> text=pen")
        await snap("d1")

        await view("queues", "#queues >> text=jobs-dlq")
        await page.click("a.queue[data-queue='jobs-dlq']")
        await page.wait_for_selector(f"#queue-messages >> text={dead['id']}")
        await snap("queues")
        await page.click(f"button.redrive[data-id='{dead['id']}']")
        await page.wait_for_selector("#queue-messages >> text=nothing here")
        assert dead_letters(mf, "jobs-dlq") == []

        await view("do", "#do-objects >> text=lobby")  # listed by the name its id was made from
        await page.click("#do-objects a.do-object")
        await page.wait_for_selector("#do-keys >> text=last")
        assert await page.inner_text("#do-name") == "lobby"
        await page.wait_for_selector("#do-websockets >> text=user:ada")
        assert '"user": "ada"' in await page.inner_text("#do-websockets")
        await snap("do")

        await view("workflows", "#wf-instances >> text=order-7")
        await page.click("a.wf-instance[data-id='order-7']")
        await page.wait_for_selector("#wf-steps >> text=prepare")
        await page.fill("#wf-event-type", "approved")
        await page.fill("#wf-event-payload", '{"by": "ada"}')
        await page.click("#wf-send")
        await introspector.wait_for_status("complete", timeout=5)
        await page.click("a.wf-instance[data-id='order-7']")
        await page.wait_for_selector("#wf-status >> text=complete")
        await snap("workflows")

        await view("cache", "#cache-entries >> text=https://shop.example/pen")
        assert await page.is_visible("#cache-entries >> text=cache-control: max-age=600")
        await page.click("#cache-entries button.cache-delete")
        await page.wait_for_selector("#cache-entries >> text=nothing here")
        assert await mf.caches.default.match("https://shop.example/pen") is None

        await page.request.get(f"{url}/hello")
        await view("activity", "#activity >> text=shop /hello")
        await browser.close()
    assert errors == []
