"""``tail_consumers``: a tail worker's ``tail(events)`` receives each event's trace items."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import write_worker

from pyflare import Pyflare

TAIL_ENTRY = """
from workers import Response, WorkerEntrypoint
received = []
class Default(WorkerEntrypoint):
    async def tail(self, events):
        for event in events:
            received.append({"script": event.scriptName, "outcome": event.outcome, "event": dict(event.event),
                             "logs": [list(line.message) for line in event.logs], "levels": [line.level for line in event.logs],
                             "exceptions": [e.name for e in event.exceptions]})
    async def fetch(self, request):
        return Response.json(received)
"""


def _workers(tmp_path: Path, *, producer_extra: str = "") -> list[Path]:
    producer = write_worker(tmp_path / "api", f"""
        name = "api"
        main = "src/entry.py"
        tail_consumers = [{{ service = "tail" }}]
        {producer_extra}
        [[services]]
        binding = "AUTH"
        service = "auth"
    """, {"src/entry.py": """
        from js import console
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                if request.url.endswith("/boom"):
                    raise KeyError("nope")
                console.log("user", {"id": 7})
                ok = await self.env.AUTH.check("ada")
                return Response(str(ok))
            async def scheduled(self, controller, env, ctx):
                print("nightly")
    """})
    auth = write_worker(tmp_path / "auth", 'name = "auth"\nmain = "src/entry.py"\n', {"src/entry.py": """
        from workers import WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def check(self, user):
                print("checking", user)
                return True
    """})
    tail = write_worker(tmp_path / "tail", 'name = "tail"\nmain = "src/entry.py"\n', {"src/entry.py": TAIL_ENTRY})
    return [producer, auth, tail]


async def received(mf: Pyflare) -> list:
    await mf.idle()
    return (await mf.workers["tail"].dispatch_fetch("/")).json()


async def test_the_tail_worker_gets_each_event_with_the_workers_it_called(tmp_path: Path):
    async with Pyflare(_workers(tmp_path), clock="manual") as mf:
        assert (await mf.dispatch_fetch("/hello")).text == "True"
        items = await received(mf)
        # the producer's item first, then the sub-request's (the auth worker's RPC call), as Cloudflare sends them
        assert [(i["script"], i["outcome"]) for i in items] == [("api", "ok"), ("auth", "ok")]
        assert items[0]["event"]["request"]["url"] == "http://localhost/hello"
        assert items[0]["event"]["response"] == {"status": 200}
        assert items[0]["logs"] == [["user", {"id": 7}]] and items[0]["levels"] == ["log"]
        assert items[1]["event"] == {"rpcMethod": "check"} and items[1]["logs"] == [["checking ada"]]

        await mf.dispatch_fetch("/boom")
        await mf.scheduled(cron="0 0 * * *")
        items = await received(mf)
        assert items[2]["outcome"] == "exception" and items[2]["exceptions"] == ["KeyError"]
        assert items[3]["event"]["cron"] == "0 0 * * *" and items[3]["logs"] == [["nightly"]]
        # the tail worker's own events are traced, never tailed (no loops)
        assert all(i["script"] != "tail" for i in items)
        assert await mf.last_trace(worker="tail", trigger="tail") is not None


async def test_tail_consumers_still_receive_when_traces_are_off(tmp_path: Path):
    async with Pyflare(_workers(tmp_path), clock="manual", traces=False) as mf:
        await mf.dispatch_fetch("/")
        assert [i["script"] for i in await received(mf)] == ["api", "auth"]
        assert await mf.last_trace() is None


async def test_a_tail_worker_that_is_not_running_is_named(tmp_path: Path, caplog):
    producer, auth, _ = _workers(tmp_path)
    async with Pyflare([producer, auth], clock="manual") as mf:
        assert (await mf.dispatch_fetch("/")).text == "True"
    assert 'tail_consumers of worker "api": worker "tail" is not running in this pyflare' in caplog.text
