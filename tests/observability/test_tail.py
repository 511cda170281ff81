"""``pyflare tail``: wrangler tail's filters, printing and JSON shape, live from a running pyflare."""

from __future__ import annotations

import asyncio
import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tests.conftest import write_worker
from tests.core.test_cli_dev import DevProcess
from tests.observability.shop import SHOP_CONFIG, SHOP_ENTRY

from pyflare.observability.tail import FilterError, api_filters, check_filters, matches, pretty_lines

ITEM = {
    "outcome": "ok", "scriptName": "shop", "eventTimestamp": 1_700_000_000_000, "exceptions": [],
    "logs": [{"message": ["catalog miss", {"item": "book"}], "level": "log", "timestamp": 1_700_000_000_001}],
    "event": {"request": {"url": "http://127.0.0.1:8787/order", "method": "GET",
                          "headers": {"x-user": "ada", "cf-connecting-ip": "127.0.0.1"}, "cf": {}},
              "response": {"status": 200}},
}


def test_command_line_filters_become_wranglers_api_filters():
    assert api_filters(status=["error", "canceled"], method=["GET"], header="x-user: ada", search="miss",
                       sampling_rate=0.5, client_ip=["self"]) == [
        {"sampling_rate": 0.5},
        {"outcome": ["exception", "exceededCpu", "exceededMemory", "unknown", "canceled"]},
        {"method": ["GET"]},
        {"header": {"key": "x-user", "query": "ada"}},
        {"client_ip": ["self"]},
        {"query": "miss"},
    ]
    assert api_filters(header="x-user") == [{"header": {"key": "x-user"}}]
    with pytest.raises(FilterError, match="sampling rate must be between 0 and 1"):
        api_filters(sampling_rate=1.5)
    with pytest.raises(FilterError, match="unknown filter"):
        check_filters([{"colour": "red"}])


@pytest.mark.parametrize(("filters", "passes"), [
    ([{"outcome": ["ok"]}], True),
    ([{"outcome": ["exception"]}], False),
    ([{"method": ["get"]}], True),
    ([{"method": ["POST"]}], False),
    ([{"header": {"key": "X-User"}}], True),
    ([{"header": {"key": "x-user", "query": "bob"}}], False),
    ([{"client_ip": ["self"]}], True),
    ([{"client_ip": ["10.0.0.1"]}], False),
    ([{"query": "catalog"}], True),
    ([{"query": "timeout"}], False),
    ([{"method": ["GET"]}, {"query": "timeout"}], False),
])
def test_filters_apply_to_trace_items(filters, passes):
    assert matches(filters, ITEM) is passes


def test_pretty_printing_is_wranglers():
    out, err = pretty_lines(ITEM)
    assert out[0].startswith("GET http://127.0.0.1:8787/order - Ok @ ")
    assert out[1] == '  (log) catalog miss {"item": "book"}'
    assert err == []
    failed = {**ITEM, "outcome": "exception", "logs": [],
              "exceptions": [{"name": "ValueError", "message": "declined", "timestamp": 1}]}
    out, err = pretty_lines(failed, worker_prefix=True)
    assert out[0].startswith("[shop] GET http://127.0.0.1:8787/order - Exception Thrown @ ")
    assert err == ["ValueError: declined"]
    cron = {**ITEM, "event": {"cron": "*/5 * * * *", "scheduledTime": 1_700_000_000_000}}
    assert pretty_lines(cron)[0][0].startswith('"*/5 * * * *" @ ') and pretty_lines(cron)[0][0].endswith(" - Ok")
    queue = {**ITEM, "event": {"queue": "orders", "batchSize": 3}}
    assert pretty_lines(queue)[0][0].startswith("Queue orders (3 messages) - Ok @ ")


async def test_the_tail_endpoint_streams_trace_items_that_pass_the_filters(start_worker):
    mf = await start_worker(SHOP_CONFIG, {"src/entry.py": SHOP_ENTRY}, clock="manual")
    body = {"workers": ["shop"], "filters": [{"outcome": ["exception"]}]}
    async with mf.client.stream("POST", "/cdn-cgi/local/observability/tail", json=body) as stream:
        assert stream.status_code == 200
        lines = stream.aiter_lines()
        assert json.loads(await anext(lines)) == {"connected": ["shop"]}
        await mf.dispatch_fetch("/")  # ok: filtered out
        await mf.dispatch_fetch("/boom")
        item = json.loads(await asyncio.wait_for(anext(lines), 10))
    assert item["outcome"] == "exception" and item["scriptName"] == "shop"
    assert item["event"]["request"]["url"] == "http://localhost/boom" and item["event"]["response"] == {"status": 500}
    assert item["logs"] == [{"message": ["about to fail"], "level": "log", "timestamp": item["logs"][0]["timestamp"]}]
    assert item["exceptions"][0]["name"] == "ValueError" and item["exceptions"][0]["message"] == "payment declined"
    assert set(item) >= {"eventTimestamp", "executionModel", "truncated", "wallTime", "cpuTime",
                         "diagnosticsChannelEvents"}
    assert not mf.observability.live.subscriptions  # the client left: its subscription went with it

    bad = await mf.dispatch_fetch("/cdn-cgi/local/observability/tail", method="POST", json={"workers": ["nobody"]})
    assert bad.status_code == 404 and "no worker named 'nobody'" in bad.json()["error"]
    # local only, like every /cdn-cgi/ path
    foreign = await mf.dispatch_fetch("/cdn-cgi/local/observability", headers={"host": "evil.example"})
    assert foreign.status_code in (403, 404)


def test_pyflare_tail_attaches_to_pyflare_dev(tmp_path: Path):
    config = write_worker(tmp_path / "shop", SHOP_CONFIG, {"src/entry.py": SHOP_ENTRY})
    dev = DevProcess(config)
    tail = None
    try:
        note = json.loads((config.parent / ".pyflare" / "dev-server.json").read_text())
        assert note["url"] == dev.url and note["workers"] == ["shop"]
        tail = subprocess.Popen([sys.executable, "-m", "pyflare.cli", "tail", "-c", str(config), "--format", "json",
                                 "--search", "catalog"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in tail.stdout], daemon=True).start()  # type: ignore
        deadline = time.monotonic() + 30
        while dev.get("/cdn-cgi/local/observability").json()["tails"] == 0:
            assert time.monotonic() < deadline and tail.poll() is None, tail.stderr.read()  # type: ignore
            time.sleep(0.05)
        assert dev.get("/").status_code == 200  # no "catalog" in its logs: filtered out
        assert dev.get("/order").status_code == 200
        text = ""
        while not text.rstrip().endswith("\n}"):
            text += lines.get(timeout=max(0.1, deadline - time.monotonic()))
        item = json.loads(text)
        assert item["event"]["request"]["url"].endswith("/order") and item["outcome"] == "ok"
        assert item["logs"][0]["message"] == ["catalog miss", {"item": "book"}]
    finally:
        if tail is not None:
            tail.kill()
            tail.communicate()
        dev.stop()
    assert not (config.parent / ".pyflare" / "dev-server.json").exists()  # removed when dev stops


def test_pyflare_tail_says_when_no_dev_server_runs(tmp_path: Path):
    config = write_worker(tmp_path / "shop", SHOP_CONFIG, {"src/entry.py": SHOP_ENTRY})
    done = subprocess.run([sys.executable, "-m", "pyflare.cli", "tail", "-c", str(config)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert "no pyflare dev is running for shop" in done.stderr and "--url" in done.stderr
