"""The CI harness: a real pyflare dev for non-Python clients, and every fixture under pytest-xdist."""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
import pytest
from tests.conftest import write_worker

from pyflare.testing.server import PyflareServer, ServerFailed

WORKER = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        n = int(await self.env.KV.get("n") or 0) + 1
        await self.env.KV.put("n", str(n))
        return Response(f"{self.env.GREETING} {n}")
"""

CONFIG = 'name = "ci"\nmain = "src/entry.py"\n[vars]\nGREETING = "hi"\n[[kv_namespaces]]\nbinding = "KV"\nid = "kv"\n'


def test_pyflare_server_serves_on_a_free_port_and_stops_cleanly(tmp_path: Path) -> None:
    config = write_worker(tmp_path / "w", CONFIG, {"src/entry.py": WORKER})
    server = PyflareServer(config, vars={"GREETING": "hello"})
    with server:
        assert server.url.startswith("http://127.0.0.1:") and server.port > 0
        assert httpx.get(server.url + "/").text == "hello 1"
    assert server.process is not None and server.process.returncode == 0


def test_a_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    config = write_worker(tmp_path / "w", 'name = "bad"\nmain = "src/missing.py"\n', {})
    with pytest.raises(ServerFailed, match="missing.py does not exist"):
        PyflareServer(config).start()


def test_every_fixture_works_under_pytest_xdist(pytester: pytest.Pytester) -> None:
    write_worker(pytester.path, CONFIG, {"src/entry.py": WORKER})
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    tests = textwrap.dedent("""
        import httpx
        import pytest

        async def test_fixture_{n}(pyflare):
            assert (await pyflare.dispatch_fetch("/")).text == "hi 1"   # fresh storage in every test

        async def test_client_{n}(pyflare_client):
            assert (await pyflare_client.get("/")).text == "hi 1"

        @pytest.mark.pyflare(vars={{"GREETING": "marked"}})
        async def test_marker_{n}(pyflare):
            assert (await pyflare.dispatch_fetch("/")).text == "marked 1"

        def test_server_{n}(pyflare_server):
            assert httpx.get(pyflare_server.url).text.startswith("hi ")
    """)
    pytester.makepyfile(**{f"test_part{n}": tests.format(n=n) for n in range(3)})
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=12)
