"""Requests that use several bindings at once, as a user's end-to-end tests do."""

import json
from urllib.parse import quote

import pytest
from helpers import call, job_result, migrate, send, total

from pyflare.testing import introspect_workflow_instance


@pytest.fixture(autouse=True)
async def migrated(pyflare):
    await migrate(pyflare)


async def no_sleeps(m):
    await m.disable_sleeps()


@pytest.mark.parametrize("i", range(10))
async def test_files_a_note_and_queues_its_summary(pyflare, i):
    note_id = (await send(pyflare, "/notes", {"title": f"report {i}", "body": "b" * i})).json()["id"]
    note = (await call(pyflare, f"/notes/{note_id}")).json()
    await send(pyflare, "/jobs", {"id": f"note-{note_id}", "text": note["title"]})
    await call(pyflare, f"/r2/notes/{note_id}", "PUT", json.dumps(note), {"content-type": "application/json"})
    assert await job_result(pyflare, f"note-{note_id}") == f"REPORT {i}"
    archived = await call(pyflare, f"/r2/notes/{note_id}")
    assert archived.json() == {"id": note_id, "title": f"report {i}", "body": "b" * i}
    assert (await call(pyflare, "/r2?prefix=notes/")).json() == [f"notes/{note_id}"]


@pytest.mark.parametrize("i", range(10))
async def test_counts_an_order_and_runs_it(pyflare, i):
    items = [{"price": i + 1, "qty": 2}]
    order_id = f"flow-{i}"
    async with await introspect_workflow_instance(pyflare.env.ORDERS, order_id) as instance:
        await instance.modify(no_sleeps)
        counted = (await call(pyflare, "/counter/orders", "POST")).json()
        assert counted["count"] == 1
        await send(pyflare, "/orders", {"id": order_id, "items": items})
        await instance.wait_for_status("complete")
        assert (await call(pyflare, f"/kv/{quote(f'order:{order_id}', safe='')}")).text == str(total(items))
        rows = (await pyflare.env.DB.prepare("SELECT id, total FROM orders").all())["results"]
        assert rows == [{"id": order_id, "total": total(items)}]
