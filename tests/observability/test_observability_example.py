"""examples/observability runs as docs/observability.md says."""

from __future__ import annotations

from pathlib import Path

from pyflare import Pyflare

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "observability"


async def test_the_order_route_touches_kv_d1_a_durable_object_and_a_queue_and_the_tail_worker_sees_it():
    async with Pyflare([EXAMPLE / "wrangler.toml", EXAMPLE / "tail" / "wrangler.toml"], clock="manual") as mf:
        response = await mf.dispatch_fetch("/order?item=book&user=ada")
        assert response.json() == {"order": 1, "price": 12, "cart": ["book"]}
        trace = await mf.last_trace(worker="shop", trigger="fetch")
        assert all(trace.touched(what) for what in ("KV", "D1", "Durable Object", "queue"))
        assert trace.logged("catalog miss") and trace.logged("cart now holds 1 item(s)")
        mf.clock.advance(1)  # the queue's batch timeout
        await mf.idle()
        shipped = await mf.last_trace(worker="shop", trigger="queue")
        assert shipped.logged("shipping order 1 to ada")
        seen = (await mf.workers["tail"].dispatch_fetch("/")).json()
        assert seen[0]["script"] == "shop" and seen[0]["what"].startswith("GET http://localhost/order")
        assert "catalog miss {'item': 'book'}" in seen[0]["logs"]


async def test_the_test_shown_in_docs_observability_md_passes_against_the_example():
    page = (EXAMPLE.parent.parent / "docs" / "observability.md").read_text()
    block = page.split("<!-- tested: tests/observability/test_observability_example.py -->\n```python\n", 1)[1]
    namespace: dict = {}
    exec(compile(block.split("```", 1)[0], "docs/observability.md", "exec"), namespace)  # noqa: S102 - our own docs
    async with Pyflare([EXAMPLE / "wrangler.toml", EXAMPLE / "tail" / "wrangler.toml"], clock="manual") as mf:
        await namespace["test_order_touches_the_catalog"](mf)
