"""Fixtures for Durable Object tests: a worker hosting a SQLite-backed and a KV-backed class, manual clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

CONFIG = """
name = "do-test"
main = "src/entry.py"
compatibility_date = "2025-11-02"
compatibility_flags = ["python_workers"]

[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"

[[durable_objects.bindings]]
name = "LEGACY"
class_name = "Legacy"

[[migrations]]
tag = "v1"
new_classes = ["Legacy"]

[[migrations]]
tag = "v2"
new_sqlite_classes = ["Counter"]
"""

ENTRY = """
from workers import DurableObject, WorkerEntrypoint, Response

CONSTRUCTED = []


class Counter(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        CONSTRUCTED.append(ctx.id.toString())
        self.memory = 0

    async def increment(self, by=1):
        n = (await self.ctx.storage.get("n") or 0) + by
        await self.ctx.storage.put("n", n)
        self.memory += 1
        return n

    async def echo(self, value):
        return value

    def sync_method(self, a, b=2):
        return a + b

    async def fail(self, message):
        raise ValueError(message)

    async def call_other(self, name, value):
        return await self.env.COUNTER.getByName(name).echo(value)

    async def call_back(self, caller):
        # A -> B -> A: B calls back into A while A waits for B
        return await self.env.COUNTER.getByName(caller).echo("back")

    async def ping_pong(self, other):
        return await self.env.COUNTER.getByName(other).call_back(self.ctx.id.name)

    def _private(self):
        return "secret"

    async def fetch(self, request):
        n = await self.increment()
        return Response(f"{request.method} {request.url} {n}")

    async def alarm(self, info):
        log = await self.ctx.storage.get("alarms") or []
        log.append([info.retryCount, info.isRetry])
        await self.ctx.storage.put("alarms", log)
        if await self.ctx.storage.get("fail_alarm"):
            raise RuntimeError("alarm failed")


class Legacy(DurableObject):
    async def put(self, key, value):
        await self.ctx.storage.put(key, value)

    async def sql(self):
        return self.ctx.storage.sql.exec("SELECT 1").one()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        stub = self.env.COUNTER.getByName("web")
        return Response(str(await stub.increment()))
"""


@pytest.fixture
def files() -> dict[str, str]:
    return {"src/entry.py": ENTRY}


@pytest.fixture
def config(worker_dir: Callable[..., Any], files: dict[str, str]) -> Any:
    return worker_dir(CONFIG, files)


@pytest.fixture
async def mf(start_worker: Callable[..., Any], files: dict[str, str]) -> Any:
    return await start_worker(CONFIG, files, clock="manual")


@pytest.fixture
def counter(mf: Any) -> Any:
    return mf.env.COUNTER
