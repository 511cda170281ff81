"""Bindings pyflare cannot run offline are in env with a clear error; tests can fake any binding; the
Worker Loader runs the Python code it is given."""

from __future__ import annotations

import pytest

from pyflare import Pyflare
from pyflare.config import load_config

AI_CONFIG = """
name = "ai-worker"
main = "src/entry.py"
[ai]
binding = "AI"
[browser]
binding = "BROWSER"
"""

AI_WORKER = """
    from workers import Response, WorkerEntrypoint
    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            try:
                result = await self.env.AI.run("@cf/meta/llama-3.1-8b-instruct", {"prompt": "hi"})
            except RuntimeError as exc:
                return Response(str(exc), status=500)
            return Response.json(result)
"""


async def test_cloudflare_only_bindings_are_in_env_and_say_they_need_cloudflare(start_worker, pyflare_log):
    mf = await start_worker(AI_CONFIG, {"src/entry.py": AI_WORKER})
    assert {"AI", "BROWSER"} <= set(mf.env)
    response = await mf.dispatch_fetch("/")
    assert response.status_code == 500
    assert response.text.startswith("env.AI.run: the Workers AI binding 'AI' (ai) needs Cloudflare's network and "
                                    "pyflare cannot emulate it offline.")
    with pytest.raises(RuntimeError, match=r"env.BROWSER.fetch: the Browser Rendering binding 'BROWSER' \(browser\)"):
        await mf.env.BROWSER.fetch("https://example.com")
    assert "unexpected field" not in pyflare_log.text


class FakeAI:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    async def run(self, model: str, inputs: dict) -> dict:
        self.calls.append((model, inputs))
        return {"response": "fake reply"}


async def test_a_test_replaces_a_binding_with_a_fake(worker_dir):
    fake = FakeAI()
    async with Pyflare(worker_dir(AI_CONFIG, {"src/entry.py": AI_WORKER}), bindings={"AI": fake}) as mf:
        assert (await mf.dispatch_fetch("/")).json() == {"response": "fake reply"}
    assert fake.calls == [("@cf/meta/llama-3.1-8b-instruct", {"prompt": "hi"})]


def test_the_pyflare_fixture_takes_fakes_through_its_marker(pytester):
    pytester.makefile(".toml", wrangler=AI_CONFIG)
    pytester.mkdir("src")
    pytester.path.joinpath("src/entry.py").write_text(
        "from workers import Response\n"
        "async def on_fetch(request, env):\n"
        "    return Response(await env.AI.run('m', {}))\n")
    pytester.makepyfile(test_fake="""
        import pytest

        class Fake:
            async def run(self, model, inputs):
                return "faked " + model

        @pytest.mark.pyflare(bindings={"AI": Fake()})
        async def test_fake(pyflare_client):
            assert (await pyflare_client.get("/")).text == "faked m"
    """)
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


LOADER_CONFIG = 'name = "loader"\nmain = "src/entry.py"\n[[worker_loaders]]\nbinding = "LOADER"\n'

LOADER_WORKER = '''
    from js import Object
    from pyodide.ffi import create_proxy, to_js
    from workers import WorkerEntrypoint

    SOURCE = """
    from workers import Response, WorkerEntrypoint
    import helper

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            return Response(f"{helper.GREETING} from a dynamically-loaded Python Worker! {self.env.WHO} {request.url}")

    class Api(WorkerEntrypoint):
        async def add(self, a, b):
            return a + b
    """
    calls = []

    def code():
        calls.append(1)
        return to_js({"compatibilityDate": "2026-04-01", "mainModule": "entry.py",
                      "modules": {"entry.py": SOURCE, "helper.py": "GREETING = 'Hello'"},
                      "env": {"WHO": "me"}}, dict_converter=Object.fromEntries)

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            worker = self.env.LOADER.get("hello-python-v1", create_proxy(code))
            if request.url.endswith("/rpc"):
                total = await worker.getEntrypoint("Api").add(2, 3)
                from workers import Response
                return Response(f"{total} loads={len(calls)}")
            return await worker.getEntrypoint().fetch(request._js_request)
'''


async def test_worker_loader_runs_the_python_code_it_is_given_once_per_id(start_worker):
    mf = await start_worker(LOADER_CONFIG, {"src/entry.py": LOADER_WORKER})
    response = await mf.dispatch_fetch("/hello")
    assert response.text == "Hello from a dynamically-loaded Python Worker! me http://localhost/hello"
    assert (await mf.dispatch_fetch("/rpc")).text == "5 loads=1"


async def test_worker_loader_refuses_javascript_modules_and_bad_names(start_worker):
    mf = await start_worker(LOADER_CONFIG, {"src/entry.py": """
        from workers import Response
        async def on_fetch(request, env):
            name = "../escape.py" if "escape" in request.url else "index.js"
            stub = env.LOADER.get(request.url, lambda: {"mainModule": name, "modules": {name: "x = 1"}})
            try:
                await stub.getEntrypoint().fetch("http://x/")
            except ValueError as exc:
                return Response(str(exc))
    """})
    assert (await mf.dispatch_fetch("/js")).text == (
        "Worker Loader: module 'index.js': pyflare runs Python modules only (.py)")
    assert (await mf.dispatch_fetch("/escape")).text == "Worker Loader: invalid module name '../escape.py'"


def test_worker_loaders_and_cloudflare_only_keys_are_not_unexpected_fields(worker_dir):
    config = load_config(worker_dir(LOADER_CONFIG + AI_CONFIG.replace('name = "ai-worker"\nmain = "src/entry.py"', ""),
                                    {"src/entry.py": "x = 1\n"}))
    assert [w for w in config.warnings if "unexpected field" in w] == []
