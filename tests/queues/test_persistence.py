"""Durability: stored messages survive a restart and a kill -9, leases of a crashed run are released."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from queue_worker import CONSUMER, config, consumer_block, worker_module

from pyflare import Pyflare
from pyflare.bindings.queues import QueuesPlugin
from pyflare.bindings.queues.store import MessageStore
from pyflare.testing.queues import drain, messages


def write(folder: Path, consumer: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "src").mkdir(exist_ok=True)
    (folder / "wrangler.toml").write_text(textwrap.dedent(config(consumer=consumer)))
    (folder / "src" / "entry.py").write_text(textwrap.dedent(CONSUMER))
    return folder / "wrangler.toml"


async def test_messages_survive_a_restart(tmp_path):
    path = write(tmp_path / "w", consumer_block())
    async with Pyflare(path, persist_to=tmp_path / "state", clock="manual") as mf:
        await mf.env.Q.sendBatch([{"body": 1}, {"body": 2}])
    async with Pyflare(path, persist_to=tmp_path / "state", clock="manual") as mf:
        await drain(mf)
        assert sorted(s["body"] for s in worker_module(mf).SEEN) == [1, 2]
        assert messages(mf, "jobs") == []


async def test_retry_state_survives_a_restart(tmp_path):
    path = write(tmp_path / "w", consumer_block(retry_delay=60))
    async with Pyflare(path, persist_to=tmp_path / "state", clock="manual") as mf:
        await mf.env.Q.send({"calls": ["retry"]})
        await drain(mf)
    async with Pyflare(path, persist_to=tmp_path / "state", clock="manual") as mf:
        [waiting] = messages(mf, "jobs")
        assert waiting.attempts == 1
        mf.clock.advance(61)
        await drain(mf)
        assert [s["attempts"] for s in worker_module(mf).SEEN] == [2]


async def test_in_flight_leases_are_released_on_restart(tmp_path):
    path = write(tmp_path / "w", consumer_block())
    async with Pyflare(path, persist_to=tmp_path / "state", clock="manual") as mf:
        await mf.env.Q.send("in flight when the process died")
        store: MessageStore = mf.plugin(QueuesPlugin).store
        assert len(store.lease("jobs", mf.clock.time(), 10, lease=99)) == 1  # as a crashed batch left it
        await drain(mf)
        assert worker_module(mf).SEEN == []  # leased: not delivered twice at once
    async with Pyflare(path, persist_to=tmp_path / "state", clock="manual") as mf:
        await drain(mf)
        assert [s["body"] for s in worker_module(mf).SEEN] == ["in flight when the process died"]


async def test_a_producer_only_worker_keeps_messages_for_a_later_consumer(tmp_path):
    state = tmp_path / "state"
    async with Pyflare(write(tmp_path / "producer", ""), persist_to=state, clock="manual") as mf:
        await mf.env.Q.send("for later")
    async with Pyflare(write(tmp_path / "consumer", consumer_block()), persist_to=state, clock="manual") as mf:
        await drain(mf)
        assert [s["body"] for s in worker_module(mf).SEEN] == ["for later"]


WRITER = '''
import asyncio, sys
from pyflare import Pyflare

async def main():
    mf = Pyflare(sys.argv[1], persist_to=sys.argv[2], clock="manual")
    await mf.start()
    for i in range(50):
        await mf.env.Q.send({"n": i})
        print(i, flush=True)
    await mf.clock.sleep(0)
    assert mf.runtime.worker.module.BATCHES, "a batch is in flight"
    print("in flight", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
'''

# In the writer process every batch hangs in the handler: the first one is in flight (leased) when it dies.
BLOCKING = CONSUMER.replace(
    "        raise_after = False\n",
    "        raise_after = False\n"
    "        import asyncio\n"
    "        await asyncio.Event().wait()\n",
)


async def test_sent_messages_survive_kill_9_and_in_flight_ones_are_redelivered(tmp_path):
    path = write(tmp_path / "w", consumer_block())
    (tmp_path / "w" / "src" / "entry.py").write_text(textwrap.dedent(BLOCKING))
    state = tmp_path / "state"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    proc = subprocess.Popen([sys.executable, str(script), str(path), str(state)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    acknowledged = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == "in flight":
                break
            acknowledged.append(int(line))
        else:
            raise AssertionError("the writer exited early")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert len(acknowledged) == 50
    (tmp_path / "w" / "src" / "entry.py").write_text(textwrap.dedent(CONSUMER))
    async with Pyflare(path, persist_to=state, clock="manual") as mf:
        await drain(mf)
        delivered = [s["body"]["n"] for s in worker_module(mf).SEEN]
    assert sorted(delivered) == list(range(50))
