"""Calls a process forwards to the one hosting a Durable Object class (same state folder): values cross under the
RPC rules and an exception raised in the host is raised again in the caller with its type and message. Two
Pyflare instances in this test process stand for two processes: each holds its own handle on the owner lock, so
the second forwards over loopback HTTP exactly as another process would."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from tests.conftest import write_worker

from pyflare import Pyflare
from pyflare.kernel.jserrors import DataCloneError

CONFIG = """
name = "fwd"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]
[[durable_objects.bindings]]
name = "THING"
class_name = "Thing"
[[migrations]]
tag = "v1"
new_sqlite_classes = ["Thing"]
"""

ENTRY = """
import os
from workers import DurableObject, Response, WorkerEntrypoint

class Thing(DurableObject):
    async def echo(self, value):
        return {"value": value, "host": os.getpid(), "marker": id(self)}

    async def fail(self, why):
        raise ValueError(f"bad input: {why}")

    async def give_function(self):
        return lambda: 1

    async def fetch(self, request):
        return Response(f"{request.method} {request.url} {await request.text()}", status=201,
                        headers={"x-marker": str(id(self))})

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")
"""


async def test_values_errors_and_fetch_cross_to_the_hosting_process(tmp_path: Path) -> None:
    config = write_worker(tmp_path / "w", CONFIG, {"src/entry.py": ENTRY})
    state = tmp_path / "state"
    async with Pyflare(config, persist_to=state) as host:
        here = await host.env.THING.getByName("t").echo(1)
        async with Pyflare(config, persist_to=state) as other:
            stub = other.env.THING.getByName("t")
            value = {"n": 2, "b": b"\x00\x01", "when": datetime.datetime(2025, 1, 2, tzinfo=datetime.timezone.utc),
                     "list": [1.5, None, True], "set": {3}}
            answer = await stub.echo(value)
            local = (await host.env.THING.getByName("t").echo(value))["value"]
            assert answer["value"] == local  # what the RPC rules make of it, as within one process
            assert answer["value"]["b"] == b"\x00\x01" and answer["value"]["set"] == {3}
            assert type(answer["value"]["b"]) is memoryview  # as a local call gives bytes back (an ArrayBuffer)
            assert answer["marker"] == here["marker"]  # the host's one live instance answered
            with pytest.raises(ValueError, match="^bad input: forwarded$"):
                await stub.fail("forwarded")
            assert (await host.env.THING.getByName("t").give_function())() == 1  # a function: within one process
            with pytest.raises(DataCloneError, match="a function cannot be sent to a worker in another process"):
                await stub.give_function()  # across processes: an error naming the limitation
            response = await stub.fetch("https://thing/path?q=1", method="PUT", body="payload")
            assert response.status == 201
            assert await response.text() == "PUT https://thing/path?q=1 payload"
            assert response.headers.get("x-marker") == str(here["marker"])
