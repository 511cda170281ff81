"""Every event a worker runs becomes a trace: its spans (binding calls, subrequests) and its logs."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import write_worker
from tests.observability.shop import SHOP_CONFIG, SHOP_ENTRY

from pyflare import Pyflare
from pyflare.observability.store import QueryError


@pytest.fixture
async def shop(start_worker):
    return await start_worker(SHOP_CONFIG, {"src/entry.py": SHOP_ENTRY}, clock="manual")


async def test_a_request_that_touches_kv_d1_a_durable_object_and_a_queue(shop):
    response = await shop.dispatch_fetch("/order")
    assert response.status_code == 200
    trace = await shop.last_trace(trigger="fetch")
    assert trace.worker == "shop" and trace.name == "GET /order" and trace.status == 200 and trace.outcome == "ok"
    for what in ("KV", "D1", "Durable Object", "queue", "ORDERS", "kv_put"):
        assert trace.touched(what), what
    assert not trace.touched("R2")
    names = [s.name for s in trace.spans]
    assert names[0] == "GET /order"
    assert {"kv_get", "kv_put", "d1_exec", "d1_first", "durable_object_subrequest", "queue_send",
            "durable_object_storage_get", "durable_object_storage_put"} <= set(names)
    # the object's RPC call is an invocation of its own, under the caller's subrequest span
    subrequest = trace.spans_of("durable_object_subrequest")[0]
    cart = next(s for s in trace.invocations if s.name == "Cart.add")
    assert cart.parent_id == subrequest.span_id and cart.attributes["cloudflare.execution_model"] == "stateful"
    storage_put = next(s for s in trace.spans if s.name == "durable_object_storage_put")
    assert storage_put.parent_id == cart.span_id
    # the attributes Cloudflare's spans carry
    d1 = trace.spans_of("d1_first")[0]
    assert d1.attributes["db.query.text"] == "INSERT INTO orders (item) VALUES (?) RETURNING id"
    assert d1.attributes["cloudflare.binding.name"] == "DB"
    kv = trace.spans_of("kv_get")[0]
    assert kv.attributes["cloudflare.kv.query.keys"] == "price" and kv.attributes["db.system.name"] == "cloudflare-kv"
    # spans happen inside the request, in order
    root = trace.root
    assert all(root.start_ms <= s.start_ms <= root.start_ms + root.duration_ms for s in trace.spans)
    assert kv.start_ms <= d1.start_ms
    # its logs: console.log (objects as JSON), print (in the object), logging
    assert trace.messages == ['catalog miss {"item": "book"}', "cart holds 1", "order 1 placed"]
    assert [entry.source for entry in trace.logs] == ["console", "print", "logging"]
    assert trace.logs[2].level == "warn" and trace.logs[1].operation == "Cart.add"
    assert trace.logged("catalog miss", level="log") and not trace.logged("catalog miss", level="error")

    # the second request hits the catalog: no kv_put, no miss
    await shop.dispatch_fetch("/order")
    second = await shop.last_trace()
    assert second.trace_id != trace.trace_id and not second.touched("kv_put") and not second.logged("miss")


async def test_an_uncaught_exception_is_the_outcome_and_a_log(shop):
    response = await shop.dispatch_fetch("/boom")
    assert response.status_code == 500
    trace = await shop.last_trace()
    assert trace.outcome == "exception" and trace.root.error == "ValueError: payment declined"
    assert trace.messages[0] == "about to fail"
    [exc] = trace.exceptions
    assert exc.level == "error" and "ValueError: payment declined" in exc.message and "entry.py" in exc.message
    assert trace.status == 500  # the error page the client got


async def test_the_status_a_worker_answers(shop):
    await shop.dispatch_fetch("/missing")
    assert (await shop.last_trace()).status == 404


async def test_work_handed_to_wait_until_belongs_to_the_request(shop):
    await shop.dispatch_fetch("/later")
    await shop.idle()
    trace = await shop.last_trace()
    assert trace.touched("kv_put") and trace.logged("after the response", level="warn")


async def test_queue_batches_cron_runs_and_alarms_are_traces_of_their_own(shop):
    await shop.dispatch_fetch("/order")
    shop.clock.advance(1)
    await shop.idle()
    batch = await shop.last_trace(trigger="queue")
    assert batch.name == "queue orders" and batch.logged("shipping 1") and batch.root.parent_id is None
    assert batch.root.attributes["cloudflare.queue.batch_size"] == 1

    await shop.scheduled(cron="*/5 * * * *")
    cron = await shop.last_trace(trigger="scheduled")
    assert cron.root.attributes["faas.cron"] == "*/5 * * * *" and cron.logged("cron ran */5 * * * *")

    await shop.dispatch_fetch("/alarm")
    shop.clock.advance(2)
    await shop.idle()
    alarm = await shop.last_trace(trigger="alarm")
    assert alarm.name == "Cart.alarm" and alarm.outcome == "exception" and alarm.logged("alarm ran, retry 0")
    assert alarm.root.attributes["cloudflare.alarm.retry_count"] == 0


async def test_an_outbound_fetch_is_a_span_with_its_status(shop):
    from workers import Response

    shop.outbound.route("https://api.example.com/", lambda request: Response("1.1", status=201))
    assert (await shop.dispatch_fetch("/outbound")).text == "1.1"
    trace = await shop.last_trace()
    [span] = trace.spans_of("fetch")
    assert span.attributes["url.full"] == "https://api.example.com/rates"
    assert span.attributes["http.response.status_code"] == 201 and span.attributes["server.address"] == "api.example.com"


async def test_a_service_binding_call_joins_the_callers_trace(tmp_path: Path):
    front = write_worker(tmp_path / "front", """
        name = "front"
        main = "src/entry.py"
        [[services]]
        binding = "USERS"
        service = "users"
    """, {"src/entry.py": """
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                name = await self.env.USERS.lookup(7)
                answer = await self.env.USERS.fetch("http://users/profile")
                return Response(name + " " + await answer.text())
    """})
    users = write_worker(tmp_path / "users", 'name = "users"\nmain = "src/entry.py"\n', {"src/entry.py": """
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def lookup(self, user_id):
                print("looking up", user_id)
                return "ada"
            async def fetch(self, request):
                return Response("profile", status=203)
    """})
    async with Pyflare([front, users], clock="manual") as mf:
        assert (await mf.dispatch_fetch("/")).text == "ada profile"
        trace = await mf.last_trace()
        assert trace.worker == "front"
        assert [s.worker for s in trace.invocations] == ["front", "users", "users"]
        rpc = next(s for s in trace.spans if s.name == "jsRpcSession")
        lookup = next(s for s in trace.invocations if s.name == "Default.lookup")
        assert lookup.parent_id == rpc.span_id and rpc.attributes["cloudflare.jsrpc.method"] == "lookup"
        service_fetch = next(s for s in trace.spans if s.name == "fetch" and s.kind == "service")
        assert service_fetch.attributes["http.response.status_code"] == 203
        assert trace.logged("looking up 7") and trace.touched("USERS")
        # the listing finds the trace by either worker
        assert [t.trace_id for t in await mf.traces.list(worker="users")] == [trace.trace_id]


async def test_listing_filters_by_worker_event_outcome_status_search_and_time(shop):
    for path in ("/order", "/boom", "/missing", "/"):
        await shop.dispatch_fetch(path)
    traces = shop.traces
    assert [t.name for t in await traces.list(trigger="fetch")] == ["GET /", "GET /missing", "GET /boom", "GET /order"]
    assert [t.name for t in await traces.list(outcome="error")] == ["GET /boom"]
    assert [t.name for t in await traces.list(status="4xx")] == ["GET /missing"]
    assert [t.name for t in await traces.list(status=200)] == ["GET /", "GET /order"]
    assert [t.name for t in await traces.list(search="catalog miss")] == ["GET /order"]
    assert [t.name for t in await traces.list(search="payment declined")] == ["GET /boom"]
    assert await traces.list(worker="nobody") == []
    newest = traces.summaries(limit=1)[0]
    assert newest["span_count"] == 1 and newest["trigger"] == "fetch"
    assert len(await traces.list(since=newest["start_ms"])) >= 1
    assert await traces.list(until=newest["start_ms"] - 60_000) == []
    with pytest.raises(ValueError, match="status must be"):
        traces.summaries(status="teapot")


async def test_sql_over_spans_and_logs_is_read_only(shop):
    await shop.dispatch_fetch("/order")
    rows = await shop.traces.query("SELECT name FROM spans WHERE kind = ? ORDER BY start_ms", ["kv"])
    assert [r["name"] for r in rows] == ["kv_get", "kv_put"]
    rows = await shop.traces.query(
        "SELECT json_extract(attributes, '$.\"db.query.text\"') AS q FROM spans WHERE name = 'd1_exec'")
    assert rows[0]["q"].startswith("CREATE TABLE")
    for refused in ("DELETE FROM spans", "DROP TABLE logs", "SELECT 1; DELETE FROM spans", "PRAGMA table_info(spans)"):
        with pytest.raises(QueryError):
            await shop.traces.query(refused)
    assert len(await shop.traces.query("SELECT * FROM spans")) > 1


async def test_the_store_keeps_the_newest_traces_only(shop):
    store = shop.observability.store
    store.limit = 5
    for _ in range(12):
        await shop.dispatch_fetch("/")
    shop.traces.recorder.flush()
    kept = await shop.traces.query("SELECT COUNT(*) AS n FROM spans WHERE parent_id IS NULL")
    assert 5 <= kept[0]["n"] <= 5 + 5 // 10 + 1
    store.trim()
    assert (await shop.traces.query("SELECT COUNT(*) AS n FROM spans WHERE parent_id IS NULL"))[0]["n"] == 5
    with pytest.raises(LookupError, match="keeps the newest 5"):
        await shop.traces.get("0" * 32)


async def test_traces_survive_a_restart_in_the_state_folder(tmp_path: Path):
    config = write_worker(tmp_path / "w", SHOP_CONFIG, {"src/entry.py": SHOP_ENTRY})
    async with Pyflare(config, persist_to=tmp_path / "state", clock="manual") as mf:
        await mf.dispatch_fetch("/order")
    assert (tmp_path / "state" / "observability").is_dir()
    async with Pyflare(config, persist_to=tmp_path / "state", clock="manual") as mf:
        trace = await mf.last_trace()
        assert trace is not None and trace.touched("KV")


@pytest.mark.parametrize("how", ["argument", "config"])
async def test_one_flag_turns_traces_off(start_worker, how):
    config = SHOP_CONFIG + ("\n[pyflare]\ntraces = false\n" if how == "config" else "")
    mf = await start_worker(config, {"src/entry.py": SHOP_ENTRY}, clock="manual",
                            **({"traces": False} if how == "argument" else {}))
    assert (await mf.dispatch_fetch("/order")).status_code == 200
    assert await mf.last_trace() is None
    assert await mf.traces.list() == [] and not mf.observability.store.opened  # nothing written, no file
    assert (await mf.dispatch_fetch("/cdn-cgi/local/observability")).status_code == 404


async def test_a_log_flood_is_cut_at_256_kb_and_marked_truncated(start_worker):
    mf = await start_worker('name = "w"\nmain = "src/entry.py"\n', {"src/entry.py": """
        from js import console
        from workers import Response
        def on_fetch(request):
            for i in range(2000):
                console.log("x" * 200)
            return Response("ok")
    """})
    await mf.dispatch_fetch("/")
    trace = await mf.last_trace()
    assert 1200 <= len(trace.logs) <= 1311 and trace.root.attributes["cloudflare.truncated"] is True


async def test_vectorize_calls_are_spans(start_worker):
    mf = await start_worker("""
        name = "search"
        main = "src/entry.py"
        [[vectorize]]
        binding = "VECTORS"
        index_name = "docs"
        [pyflare.vectorize.docs]
        dimensions = 3
        metric = "cosine"
    """, {"src/entry.py": """
        from workers import Response, WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                await self.env.VECTORS.upsert([{"id": "a", "values": [1, 0, 0]}])
                found = await self.env.VECTORS.query([1, 0, 0], topK=1)
                return Response(str(found.count))
    """}, clock="manual")
    assert (await mf.dispatch_fetch("/")).text == "1"
    trace = await mf.last_trace()
    assert [s.name for s in trace.spans_of("Vectorize")] == ["vectorize_upsert", "vectorize_query"]
    assert trace.spans_of("VECTORS")[0].attributes["cloudflare.vectorize.index"] == "docs"


async def test_an_email_is_an_event_of_its_own(start_worker):
    mf = await start_worker('name = "mail"\nmain = "src/entry.py"\n', {"src/entry.py": """
        from workers import WorkerEntrypoint
        class Default(WorkerEntrypoint):
            async def email(self, message):
                print("mail from", message.from_)
    """}, clock="manual")
    raw = b"From: ada@example.com\r\nTo: inbox@example.com\r\nSubject: hi\r\nMessage-ID: <m1@example.com>\r\n\r\nhi\r\n"
    answer = await mf.dispatch_fetch("/cdn-cgi/local/email?from=ada@example.com&to=inbox@example.com",
                                     method="POST", content=raw)
    assert answer.status_code < 300
    trace = await mf.last_trace(trigger="email")
    assert trace.logged("mail from ada@example.com") and trace.outcome == "ok"
    assert trace.root.attributes["cloudflare.email.from"] == "ada@example.com"
    assert trace.root.attributes["cloudflare.email.size"] == len(raw)
