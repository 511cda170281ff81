"""Each test finds every binding empty, then fills it: a test that saw the previous test's data would fail."""

import pytest
from helpers import call, job_result, migrate, send

from pyflare.testing import introspect_workflow_instance


@pytest.fixture(autouse=True)
async def migrated(pyflare):
    await migrate(pyflare)


async def no_sleeps(m):
    await m.disable_sleeps()


@pytest.mark.parametrize("i", range(20))
async def test_starts_empty(pyflare, i):
    env = pyflare.env
    assert (await env.KV.list())["keys"] == []
    assert (await env.BUCKET.list())["objects"] == []
    assert await env.COUNTER.getByName("shared").value() == 0
    assert (await call(pyflare, "/notes")).status_code == 200
    assert (await call(pyflare, "/notes")).json() == []

    await env.KV.put("seen", str(i))
    await env.BUCKET.put("seen", str(i))
    assert await env.COUNTER.getByName("shared").increment() == 1
    assert (await send(pyflare, "/notes", {"title": f"test {i}"})).status_code == 201
    await send(pyflare, "/jobs", {"id": "same", "text": f"run {i}"})
    assert await job_result(pyflare, "same") == f"RUN {i}"

    async with await introspect_workflow_instance(env.ORDERS, "same-order") as instance:
        await instance.modify(no_sleeps)
        await env.ORDERS.create({"id": "same-order", "params": {"id": "same-order", "items": [{"price": i, "qty": 1}]}})
        await instance.wait_for_status("complete")
        assert await instance.get_output() == {"id": "same-order", "total": i}
