import pytest
from helpers import call, migrate, send, total

from pyflare.testing import introspect_workflow_instance

ORDERS = [
    [{"price": 5, "qty": 1}],
    [{"price": 5, "qty": 2}],
    [{"price": 1, "qty": 1}, {"price": 2, "qty": 2}],
    [{"price": 100, "qty": 3}],
    [{"price": 7, "qty": 7}, {"price": 1, "qty": 0}],
    [{"price": 0, "qty": 9}],
    [{"price": 12, "qty": 1}, {"price": 13, "qty": 1}, {"price": 14, "qty": 1}],
    [{"price": 999, "qty": 1}],
    [{"price": 3, "qty": 33}],
    [{"price": 2, "qty": 5}, {"price": 5, "qty": 2}],
]


@pytest.fixture(autouse=True)
async def migrated(pyflare):
    await migrate(pyflare)


async def no_sleeps(m):
    await m.disable_sleeps()


@pytest.mark.parametrize(("i", "items"), list(enumerate(ORDERS)))
async def test_completes_an_order(pyflare, i, items):
    order_id = f"order-{i}"
    async with await introspect_workflow_instance(pyflare.env.ORDERS, order_id) as instance:
        await instance.modify(no_sleeps)
        await pyflare.env.ORDERS.create({"id": order_id, "params": {"id": order_id, "items": items}})
        await instance.wait_for_status("complete")
        assert await instance.get_output() == {"id": order_id, "total": total(items)}
        assert await instance.wait_for_step_result({"name": "total"}) == total(items)
        assert await pyflare.env.KV.get(f"order:{order_id}") == str(total(items))
        row = await pyflare.env.DB.prepare("SELECT total FROM orders WHERE id = ?").bind(order_id).first()
        assert row["total"] == total(items)


@pytest.mark.parametrize(("i", "items"), list(enumerate(ORDERS[:5])))
async def test_runs_an_order_started_over_http(pyflare, i, items):
    order_id = f"web-{i}"
    async with await introspect_workflow_instance(pyflare.env.ORDERS, order_id) as instance:
        await instance.modify(no_sleeps)
        response = await send(pyflare, "/orders", {"id": order_id, "items": items})
        assert response.status_code == 202
        assert response.json() == {"id": order_id}
        await instance.wait_for_status("complete")
        status = (await call(pyflare, f"/orders/{order_id}")).json()
        assert status["status"] == "complete"
        assert status["output"] == {"id": order_id, "total": total(items)}


@pytest.mark.parametrize("i", [1, 2, 3, 4, 5])
async def test_fails_an_empty_order(pyflare, i):
    order_id = f"empty-{i}"
    async with await introspect_workflow_instance(pyflare.env.ORDERS, order_id) as instance:
        await instance.modify(no_sleeps)
        await pyflare.env.ORDERS.create({"id": order_id, "params": {"id": order_id, "items": []}})
        await instance.wait_for_status("errored")
        error = await instance.get_error()
        # before compatibility date 2026-05-14 production reports this, not the step's own message
        assert error["message"] == ("The execution of the Workflow instance was terminated, as a step threw an "
                                    "NonRetryableError and it was not handled")
        assert await pyflare.env.KV.get(f"order:{order_id}") is None
