"""pyflare dev runs on uvloop where it is installed (asyncio's loop otherwise); the in-process API runs on
whatever loop its caller uses."""

from __future__ import annotations

import asyncio
import sys

import pytest

from pyflare import Pyflare
from pyflare.cli.dev import run_event_loop

CONFIG = """
name = "stack"
main = "src/entry.py"
[[kv_namespaces]]
binding = "KV"
id = "kv"
"""
ENTRY = {"src/entry.py": """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        await self.env.KV.put("k", "v")
        return Response(await self.env.KV.get("k"))
"""}


def loop_module() -> str:
    seen: list[str] = []

    async def main() -> None:
        seen.append(type(asyncio.get_running_loop()).__module__)

    run_event_loop(main())
    return seen[0]


def test_dev_serves_on_uvloop_when_installed():
    pytest.importorskip("uvloop")
    assert loop_module().startswith("uvloop")


def test_dev_falls_back_to_asyncio_without_uvloop(monkeypatch):
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop now raises ImportError
    assert loop_module().startswith("asyncio")


def test_in_process_api_runs_on_the_callers_uvloop(worker_dir):
    uvloop = pytest.importorskip("uvloop")
    config = worker_dir(CONFIG, ENTRY)

    async def main() -> tuple[str, str]:
        async with Pyflare(config) as mf:
            return type(asyncio.get_running_loop()).__module__, (await mf.dispatch_fetch("/")).text

    module, text = uvloop.run(main())
    assert module.startswith("uvloop") and text == "v"
