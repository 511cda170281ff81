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


def test_shards_run_at_once_on_one_machine_share_nothing_and_together_match_a_serial_run(
        pytester: pytest.Pytester) -> None:
    """docs/ci.md's plugin-free sharding (sorted test files, every COUNT-th one): two shards and a serial run of
    the same suite at the same time on one machine, each session with its own pyflare_server: the shards'
    outcomes together are the serial run's, and every test sees fresh state."""
    import re
    import subprocess
    import sys

    write_worker(pytester.path, CONFIG, {"src/entry.py": WORKER})
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    tests = textwrap.dedent("""
        import httpx
        import pytest

        async def test_fixture_{n}(pyflare):
            assert (await pyflare.dispatch_fetch("/")).text == "hi 1"

        def test_server_{n}(pyflare_server):
            assert httpx.get(pyflare_server.url).text.startswith("hi ")  # its own server, its own port

        @pytest.mark.skip(reason="kept out on purpose")
        def test_skipped_{n}():
            pass
    """)
    (pytester.path / "tests").mkdir()
    for n in range(4):
        (pytester.path / "tests" / f"test_part{n}.py").write_text(tests.format(n=n))
    files = sorted(str(p.relative_to(pytester.path)) for p in (pytester.path / "tests").glob("test_*.py"))
    shards = [[f for number, f in enumerate(files, start=1) if number % 2 == index] for index in (0, 1)]

    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "-q"]
    running = [subprocess.Popen([*command, *paths], cwd=pytester.path, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True) for paths in [*shards, ["tests"]]]
    *sharded, serial = [process.communicate(timeout=300)[0] for process in running]
    assert all(process.returncode == 0 for process in running), [*sharded, serial]
    passed = {line for text in sharded for line in re.findall(r"^PASSED (\S+)", text, re.M)}
    assert passed == set(re.findall(r"^PASSED (\S+)", serial, re.M)) and len(passed) == 8
    skipped = sum(int(n) for text in sharded for n in re.findall(r"(\d+) skipped", text))
    assert skipped == 4 and "4 skipped" in serial
