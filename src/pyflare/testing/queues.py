"""Queue helpers for tests: deliver what is due now, wait for the consumers, read what is left on a queue.

```python
from pyflare.testing.queues import dead_letters, drain, messages

await mf.env.JOBS.send({"n": 1})
await drain(mf)                      # partial batches go out now, whatever max_batch_timeout says
assert [m.body for m in dead_letters(mf, "jobs-dlq")] == [...]
```

``drain`` does not move the clock: a message delayed (or retried with a delay) stays put until the test
advances ``mf.clock`` past it. The other way works too: ``mf.clock.advance(seconds=5)`` fires the batch
timeout, and ``await mf.idle()`` waits for the batches it started.
"""

from __future__ import annotations

from typing import Any

from pyflare.bindings.queues.plugin import QueuesPlugin
from pyflare.kernel.jsdict import JsDict

__all__ = ["dead_letters", "drain", "messages", "queues_plugin"]


def _plugins(mf: Any) -> list[QueuesPlugin]:
    """The queues plugins of every worker of a Pyflare (several workers may share queues)."""
    found = []
    for worker in getattr(mf, "workers", {}).values() or [mf]:
        try:
            found.append(worker.plugin(QueuesPlugin))
        except LookupError:
            pass
    return found


def queues_plugin(mf: Any) -> QueuesPlugin:
    """The running queues plugin of a Pyflare (LookupError if no worker's config has queues)."""
    plugins = _plugins(mf)
    if not plugins:
        return mf.plugin(QueuesPlugin)  # raises the LookupError naming the config
    return plugins[0]


async def drain(mf: Any) -> None:
    """Deliver every deliverable message now (partial batches too) and wait until no batch is in flight
    and nothing more is due; retries with no delay are delivered in the same call. With several workers,
    every worker's consumers are drained, until none has work (a consumer may send to another's queue)."""
    plugins = _plugins(mf) or [queues_plugin(mf)]
    for _ in range(1000):
        for plugin in plugins:
            await plugin.drain()
        await mf.idle()
        if not any(plugin.busy() for plugin in plugins):
            return
    raise RuntimeError("queues did not drain in 1000 rounds (workers keep sending to each other?)")


def messages(mf: Any, queue: str) -> list[JsDict]:
    """The messages stored on ``queue``: ``{id, timestamp, body, contentType, attempts, availableAt}`` each.

    ``attempts`` counts the failed deliveries so far (0 for a message never delivered; a message moved to a
    dead letter queue starts again at 0 there)."""
    return queues_plugin(mf).messages(queue)


def dead_letters(mf: Any, queue: str) -> list[JsDict]:
    """What ended up in a dead letter queue (a DLQ is just a queue; unconsumed messages stay readable)."""
    return messages(mf, queue)
