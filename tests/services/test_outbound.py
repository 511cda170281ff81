"""Outbound fetch() under test control: routes to handlers and workers, respx, and a blocked network."""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
import pytest
import respx
from tests.conftest import write_worker

from pyflare import Pyflare
from pyflare.runtime.outbound import NetworkBlocked
from pyflare.workers import Response

PROXY = """
from workers import WorkerEntrypoint, Response, fetch

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        target = request.url.split("?to=", 1)[1]
        upstream = await fetch(target, method="POST", body="ping", headers={"x-from": "proxy"})
        return Response(f"{upstream.status} {await upstream.text()}")
"""

BACKEND = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(f"backend got {request.method} {request.url} {await request.text()}")
"""


def configs(tmp_path: Path) -> list[Path]:
    return [write_worker(tmp_path / "proxy", 'name = "proxy"\nmain = "src/entry.py"\n', {"src/entry.py": PROXY}),
            write_worker(tmp_path / "backend", 'name = "backend"\nmain = "src/entry.py"\n',
                         {"src/entry.py": BACKEND})]


async def test_route_to_a_handler_sees_the_request(tmp_path: Path) -> None:
    seen = []

    async def handler(request):
        seen.append((request.method, request.url, request.headers.get("x-from"), await request.text()))
        return Response("handled", status=201)

    async with Pyflare(configs(tmp_path)) as mf:
        mf.outbound.route("https://api.example.com/", handler)
        assert (await mf.dispatch_fetch("/?to=https://api.example.com/v1/items")).text == "201 handled"
    assert seen == [("POST", "https://api.example.com/v1/items", "proxy", "ping")]


async def test_route_to_another_worker(tmp_path: Path) -> None:
    async with Pyflare(configs(tmp_path)) as mf:
        mf.outbound.route("https://backend.internal", mf.worker("backend"))
        text = (await mf.dispatch_fetch("/?to=https://backend.internal/x")).text
    assert text == "200 backend got POST https://backend.internal/x ping"


async def test_longest_prefix_wins_and_handlers_may_return_httpx_responses(tmp_path: Path) -> None:
    async with Pyflare(configs(tmp_path)) as mf:
        mf.outbound.route("*", lambda request: Response("catch-all"))
        mf.outbound.route("https://a.test/special", lambda request: httpx.Response(418, text="teapot"))
        assert (await mf.dispatch_fetch("/?to=https://a.test/special/1")).text == "418 teapot"
        assert (await mf.dispatch_fetch("/?to=https://a.test/other")).text == "200 catch-all"


async def test_respx_mocks_work_as_for_any_httpx_code(tmp_path: Path) -> None:
    async with Pyflare(configs(tmp_path)) as mf:
        with respx.mock(assert_all_called=True) as router:
            router.post("https://respx.test/hook").mock(return_value=httpx.Response(202, text="queued"))
            assert (await mf.dispatch_fetch("/?to=https://respx.test/hook")).text == "202 queued"


async def test_a_respx_router_can_serve_a_blocked_network(tmp_path: Path) -> None:
    router = respx.MockRouter(assert_all_called=False)
    router.post("https://respx.test/hook").mock(return_value=httpx.Response(200, text="mocked"))
    async with Pyflare(configs(tmp_path), network=False) as mf:
        mf.outbound.use(router)
        assert (await mf.dispatch_fetch("/?to=https://respx.test/hook")).text == "200 mocked"


async def test_a_blocked_network_fails_the_fetch_with_a_clear_error(tmp_path: Path) -> None:
    async with Pyflare(configs(tmp_path), network=False, dev=True) as mf:
        response = await mf.dispatch_fetch("/?to=https://example.com/")
        assert response.status_code == 500
        assert "NetworkBlocked" in response.text and "mf.outbound.route" in response.text
        mf.outbound.block_network(False)
        mf.outbound.route("https://example.com", lambda request: Response("fine"))
        assert (await mf.dispatch_fetch("/?to=https://example.com/")).text == "200 fine"


def test_network_blocked_is_an_exception_workers_can_catch() -> None:
    assert issubclass(NetworkBlocked, Exception)


def test_the_ini_option_blocks_the_network_for_every_test(pytester: pytest.Pytester) -> None:
    configs(pytester.path)
    pytester.makeini("[pytest]\npyflare_config = proxy/wrangler.toml\npyflare_network = false\nasyncio_mode = auto\n")
    pytester.makepyfile(test_net=textwrap.dedent("""
        import pytest

        async def test_blocked(pyflare):
            assert "NetworkBlocked" in (await pyflare.dispatch_fetch("/?to=https://example.com/")).text

        @pytest.mark.pyflare(network=True)
        async def test_marker_can_allow_it(pyflare):
            assert pyflare.outbound.network
    """))
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
