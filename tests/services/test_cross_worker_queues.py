"""A queue produced in one worker and consumed in another, in one pyflare."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.conftest import write_worker

from pyflare import Pyflare
from pyflare.config import ConfigError
from pyflare.testing import drain, messages

PRODUCER = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        await self.env.JOBS.send({"job": request.url.split("/")[-1]})
        return Response("queued")
"""

CONSUMER = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(await self.env.DONE.get("last") or "none")

    async def queue(self, batch, env, ctx):
        for message in batch.messages:
            await self.env.DONE.put("last", message.body["job"])
            message.ack()
"""


def configs(tmp_path: Path) -> tuple[Path, Path]:
    producer = write_worker(tmp_path / "api", """
        name = "api"
        main = "src/entry.py"
        compatibility_date = "2025-01-01"
        [[queues.producers]]
        binding = "JOBS"
        queue = "jobs"
    """, {"src/entry.py": PRODUCER})
    consumer = write_worker(tmp_path / "jobs", """
        name = "jobs-worker"
        main = "src/entry.py"
        compatibility_date = "2025-01-01"
        [[queues.consumers]]
        queue = "jobs"
        max_batch_timeout = 1
        [[kv_namespaces]]
        binding = "DONE"
        id = "done"
    """, {"src/entry.py": CONSUMER})
    return producer, consumer


async def test_a_message_sent_by_one_worker_reaches_the_consumer_in_another(tmp_path: Path) -> None:
    async with Pyflare(list(configs(tmp_path)), clock="manual") as mf:
        assert (await mf.dispatch_fetch("/jobs/42")).text == "queued"
        mf.clock.advance(seconds=1)  # the batch timeout of the consumer's worker fires on the one clock
        await mf.idle()
        assert (await mf.worker("jobs-worker").dispatch_fetch("/")).text == "42"
        assert messages(mf, "jobs") == []


async def test_drain_delivers_across_workers(tmp_path: Path) -> None:
    async with Pyflare(list(configs(tmp_path)), clock="manual") as mf:
        await mf.dispatch_fetch("/jobs/7")
        await drain(mf)
        assert (await mf.worker("jobs-worker").dispatch_fetch("/")).text == "7"


def test_a_queue_has_one_consumer_across_workers(tmp_path: Path) -> None:
    producer, consumer = configs(tmp_path)
    second = write_worker(tmp_path / "other", """
        name = "other"
        main = "src/entry.py"
        [[queues.consumers]]
        queue = "jobs"
    """, {"src/entry.py": CONSUMER})
    mf = Pyflare([producer, consumer, second])
    with pytest.raises(ConfigError, match='queue "jobs" already has a consumer in worker "jobs-worker"'):
        asyncio.run(mf.start())
