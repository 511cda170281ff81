"""Shared by the queue tests: a consumer worker whose behaviour each message's body chooses, and a config builder."""

from __future__ import annotations

from typing import Any

from pyflare import Pyflare

# The worker records every delivery in SEEN. A dict body may say what to do with the message:
# {"do": "ack" | "retry" | "raise" | "nothing", "delay": seconds}; batch-level {"batch": "ackAll" | "retryAll"}.
CONSUMER = '''
from workers import WorkerEntrypoint, Response

SEEN = []
BATCHES = []
CALLS = []


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        await self.env.Q.send(await request.json())
        return Response("sent")

    async def queue(self, batch, env, ctx):
        BATCHES.append((batch.queue, [m.id for m in batch.messages]))
        raise_after = False
        for m in batch.messages:
            SEEN.append({"queue": batch.queue, "id": m.id, "body": m.body, "attempts": m.attempts,
                         "timestamp": m.timestamp})
            body = m.body if isinstance(m.body, dict) else {}
            for call in body.get("calls", []):
                CALLS.append(call)
                if call == "ack":
                    m.ack()
                elif call == "retry":
                    m.retry(delaySeconds=body.get("delay"))
                elif call == "ackAll":
                    batch.ackAll()
                elif call == "retryAll":
                    batch.retryAll(delaySeconds=body.get("batch_delay"))
                elif call == "raise":
                    raise_after = True
        if raise_after:
            raise RuntimeError("consumer failed")
'''


def config(*, consumer: str = "", producers: str = "", compat: str = "2025-01-01") -> str:
    return f"""
name = "queues-test"
main = "src/entry.py"
compatibility_date = "{compat}"

[[queues.producers]]
binding = "Q"
queue = "jobs"
{producers}
{consumer}
"""


def consumer_block(queue: str = "jobs", **settings: Any) -> str:
    lines = ["[[queues.consumers]]", f'queue = "{queue}"']
    for key, value in settings.items():
        lines.append(f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {value}")
    return "\n".join(lines) + "\n"



def worker_module(mf: Pyflare) -> Any:
    assert mf.runtime.worker is not None
    return mf.runtime.worker.module
