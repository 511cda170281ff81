"""A process using a shared state folder (run by tests/multiproc/test_shared_state.py): it starts a Pyflare on the
folder and increments a Durable Object counter, writes KV keys, R2 objects, D1 rows and queue messages, each
acknowledged operation printed as one JSON line (flushed), so the test can count what was acknowledged even if
it kills this process."""

from __future__ import annotations

import asyncio
import json
import sys

from pyflare import Pyflare


def say(**fields: object) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


async def main(config: str, state: str, tag: str, count: int, pause: float) -> None:
    async with Pyflare(config, persist_to=state) as mf:
        say(event="ready", tag=tag)
        for n in range(count):
            response = await mf.dispatch_fetch(f"/work?tag={tag}&n={n}", method="POST")
            if response.status_code != 200:
                raise SystemExit(f"{tag}: request {n} answered {response.status_code}:\n{response.text}")
            say(event="ack", tag=tag, n=n, **response.json())
            if pause:
                await asyncio.sleep(pause)  # real time on purpose: another process works meanwhile
        await mf.idle()
        say(event="done", tag=tag)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])))
