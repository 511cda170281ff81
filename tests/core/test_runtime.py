"""Loading and calling workers: isolation, reload, handler styles, errors, waitUntil."""

from __future__ import annotations

import pytest

from pyflare import Pyflare, WorkerLoadError

CONFIG = 'name = "t"\nmain = "src/entry.py"\n[vars]\nGREETING = "hello"\n'


async def test_class_worker_gets_env_vars_and_request(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from workers import WorkerEntrypoint, Response
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response.json({"g": self.env.GREETING, "m": request.method, "u": request.url,
                                      "h": request.headers.get("x-test"), "colo": request.cf.colo})
    """})
    response = await mf.dispatch_fetch("/p?q=1", method="PUT", headers={"X-Test": "yes"})
    assert response.json() == {"g": "hello", "m": "PUT", "u": "http://localhost/p?q=1", "h": "yes", "colo": "LOCAL"}


async def test_legacy_on_fetch_receives_env_and_ctx(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from workers import Response
        async def on_fetch(request, env, ctx):
            return Response(env.GREETING + (" ctx" if hasattr(ctx, "waitUntil") else ""))
    """})
    assert (await mf.dispatch_fetch("/")).text == "hello ctx"


async def test_two_workers_with_same_module_names_stay_isolated(tmp_path, worker_dir):
    from tests.conftest import write_worker

    paths = []
    for name in ("one", "two"):
        paths.append(write_worker(tmp_path / name, CONFIG, {
            "src/helper.py": f"VALUE = {name!r}\n",
            "src/entry.py": "from workers import Response\nimport helper\n"
                            "def on_fetch(request):\n    import helper as h\n    return Response(helper.VALUE + h.VALUE)\n",
        }))
    async with Pyflare(paths[0]) as one, Pyflare(paths[1]) as two:
        assert (await one.dispatch_fetch("/")).text == "oneone"
        assert (await two.dispatch_fetch("/")).text == "twotwo"
        assert (await one.dispatch_fetch("/")).text == "oneone"


async def test_worker_packages_and_relative_imports_work(start_worker):
    mf = await start_worker(CONFIG, {
        "src/lib/__init__.py": "from .util import shout\n",
        "src/lib/util.py": "def shout(s):\n    return s.upper()\n",
        "src/entry.py": "from workers import Response\nfrom lib import shout\nimport lib.util\n"
                        "def on_fetch(request):\n    return Response(shout('a') + lib.util.shout('b'))\n",
    })
    assert (await mf.dispatch_fetch("/")).text == "AB"


async def test_reload_reimports_the_worker_modules(start_worker):
    mf = await start_worker(CONFIG, {
        "src/helper.py": "VALUE = 'before'\n",
        "src/entry.py": "from workers import Response\nimport helper\ndef on_fetch(r):\n    return Response(helper.VALUE)\n",
    })
    assert (await mf.dispatch_fetch("/")).text == "before"
    (mf.config.root / "src/helper.py").write_text("VALUE = 'after'\n")
    mf.reload()
    assert (await mf.dispatch_fetch("/")).text == "after"


async def test_failed_reload_keeps_serving_the_previous_code(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": "from workers import Response\ndef on_fetch(r):\n    return Response('v1')\n"})
    (mf.config.main_path).write_text("def broken(:\n")
    with pytest.raises(WorkerLoadError):
        mf.reload()
    response = await mf.dispatch_fetch("/")
    assert response.status == 500 if hasattr(response, "status") else response.status_code == 500
    assert "SyntaxError" in response.text
    mf.config.main_path.write_text("from workers import Response\ndef on_fetch(r):\n    return Response('v2')\n")
    mf.reload()
    assert (await mf.dispatch_fetch("/")).text == "v2"


async def test_import_error_at_start_names_the_problem(worker_dir):
    path = worker_dir(CONFIG, {"src/entry.py": "import does_not_exist_anywhere\n"})
    with pytest.raises(WorkerLoadError, match="does_not_exist_anywhere") as info:
        await Pyflare(path).start()
    assert "Traceback" in info.value.details


async def test_handler_returning_non_response_is_a_clear_500(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": "def on_fetch(r):\n    return 'text'\n"})
    response = await mf.dispatch_fetch("/")
    assert response.status_code == 500
    assert "TypeError: The worker's fetch handler returned str, not a workers.Response" in response.text
    assert "Traceback" not in response.text and "runtime/worker.py" not in response.text.replace("\\", "/")


async def test_uncaught_exception_gives_500_with_traceback_in_dev(worker_dir):
    path = worker_dir(CONFIG, {"src/entry.py": "def on_fetch(r):\n    raise KeyError('boom')\n"})
    async with Pyflare(path) as mf:
        response = await mf.dispatch_fetch("/")
    assert response.status_code == 500
    assert "KeyError: 'boom'" in response.text and "Traceback" in response.text


async def test_wait_until_work_finishes_after_the_response(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        import asyncio
        from workers import WorkerEntrypoint, Response, wait_until
        DONE = []
        async def later(tag):
            await asyncio.sleep(0)
            DONE.append(tag)
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                if request.url.endswith("/done"):
                    return Response(",".join(DONE))
                self.ctx.waitUntil(later("ctx"))
                wait_until(later("module"))
                return Response("sent")
    """})
    assert (await mf.dispatch_fetch("/")).text == "sent"
    await mf.idle()
    assert sorted((await mf.dispatch_fetch("/done")).text.split(",")) == ["ctx", "module"]


async def test_module_level_env_is_the_running_workers_env(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from workers import Response, env
        def on_fetch(request):
            return Response(env.GREETING)
    """})
    assert (await mf.dispatch_fetch("/")).text == "hello"


async def test_request_body_streams_to_the_worker(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from workers import Response
        async def on_fetch(request):
            total = 0
            async for chunk in request.body:
                total += len(chunk)
            return Response(str(total))
    """})

    async def body():
        for _ in range(10):
            yield b"x" * 100_000

    assert (await mf.dispatch_fetch("/", method="POST", content=body())).text == "1000000"


async def test_request_body_streams_back_out_as_the_response_body(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from workers import Response
        def on_fetch(request):
            return Response(request.body, headers={"content-type": "application/octet-stream"})
    """})

    async def body():
        for i in range(3):
            yield f"{i};".encode()

    assert (await mf.dispatch_fetch("/", method="POST", content=body())).text == "0;1;2;"


async def test_python_generator_body_is_refused_as_on_cloudflare(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from workers import Response
        async def gen():
            yield b"x"
        def on_fetch(request):
            return Response(gen())
    """})
    response = await mf.dispatch_fetch("/")
    assert response.status_code == 500
    assert "TypeError: Unsupported type in Response: async_generator" in response.text


async def test_body_over_100mb_is_rejected_with_413_before_reading(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": "from workers import Response\nasync def on_fetch(r):\n    return Response(str(len(await r.bytes())))\n"})
    read = []

    async def body():
        read.append(1)
        yield b"x"

    response = await mf.dispatch_fetch("/", method="POST", content=body(),
                                       headers={"content-length": str(100 * 1024 * 1024 + 1)})
    assert response.status_code == 413
    assert read == []


async def test_chunked_body_over_100mb_is_cut_off_with_413(start_worker, monkeypatch):
    import pyflare.runtime.incoming as incoming

    monkeypatch.setattr(incoming, "MAX_REQUEST_BODY", 1000)
    mf = await start_worker(CONFIG, {"src/entry.py": "from workers import Response\nasync def on_fetch(r):\n    return Response(str(len(await r.bytes())))\n"})

    async def body():
        for _ in range(5):
            yield b"x" * 300

    response = await mf.dispatch_fetch("/", method="POST", content=body())
    assert response.status_code == 413


async def test_scheduled_runs_the_handler_and_reports_outcome(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from workers import WorkerEntrypoint, Response
        SEEN = []
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response(repr(SEEN))
            async def scheduled(self, controller, env, ctx):
                if controller.cron == "fail":
                    controller.noRetry()
                    raise RuntimeError("nope")
                SEEN.append((controller.cron, controller.scheduledTime, controller.type))
    """})
    result = await mf.scheduled(cron="*/5 * * * *", scheduled_time=1700000000000)  # ms, as ?time=
    assert result.outcome == "ok" and result.noRetry is False
    assert (await mf.dispatch_fetch("/")).text == repr([("*/5 * * * *", 1700000000000, "scheduled")])
    failed = await mf.scheduled(cron="fail")
    assert failed.outcome == "exception" and failed.noRetry is True


async def test_scheduled_endpoints_run_the_handler(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from workers import WorkerEntrypoint, Response
        SEEN = []
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response(",".join(SEEN))
            async def scheduled(self, controller, env, ctx):
                SEEN.append(controller.cron)
    """})
    assert (await mf.dispatch_fetch("/cdn-cgi/handler/scheduled", params={"cron": "0 * * * *"})).text == "ok"
    assert (await mf.dispatch_fetch("/cdn-cgi/local/scheduled", params={"cron": "1 * * * *"})).text == "ok"
    # /__scheduled belongs to the worker unless --test-scheduled is given
    assert (await mf.dispatch_fetch("/__scheduled", params={"cron": "2 * * * *"})).text == "0 * * * *,1 * * * *"
    mf.asgi_app.test_scheduled = True
    ran = await mf.dispatch_fetch("/__scheduled", params={"cron": "2 * * * *"})
    assert (ran.status_code, ran.text) == (200, "Ran scheduled event")
    assert (await mf.dispatch_fetch("/")).text == "0 * * * *,1 * * * *,2 * * * *"


async def test_production_mode_hides_the_traceback(worker_dir):
    path = worker_dir(CONFIG, {"src/entry.py": "def on_fetch(r):\n    raise KeyError('secret-detail')\n"})
    async with Pyflare(path, dev=False) as mf:
        response = await mf.dispatch_fetch("/")
    assert response.status_code == 500
    assert response.text == "Error 1101: Worker threw exception"


async def test_default_class_and_top_level_handler_together_is_an_error(worker_dir):
    path = worker_dir(CONFIG, {"src/entry.py": """
        from workers import WorkerEntrypoint, Response
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response("class")
        def on_fetch(request):
            return Response("function")
    """})
    with pytest.raises(WorkerLoadError, match="Cannot define multiple default entrypoints"):
        await Pyflare(path).start()


async def test_fetch_may_declare_no_request_parameter(start_worker):
    # Cloudflare calls fetch "relaxed": arguments the method does not declare are dropped.
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from workers import WorkerEntrypoint, Response
        class Default(WorkerEntrypoint):
            async def fetch(self):
                return Response("no request needed")
    """})
    assert (await mf.dispatch_fetch("/")).text == "no request needed"


async def test_kv_id_placeholder_from_a_template_config_still_works(start_worker):
    mf = await start_worker('main = "src/entry.py"\n[[kv_namespaces]]\nbinding = "FOO"\nid = "<YOUR_KV_NAMESPACE_ID>"\n', {
        "src/entry.py": """
        from workers import WorkerEntrypoint, Response
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                await self.env.FOO.put("bar", "baz")
                return Response(await self.env.FOO.get("bar"))
    """})
    assert (await mf.dispatch_fetch("/")).text == "baz"
    assert all("<" not in p.name for p in mf.storage.root.rglob("*"))
