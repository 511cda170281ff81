"""The pytest plugin as a user's project sees it: fixtures, marker, ini option, both async plugins."""

from __future__ import annotations

import textwrap

import pytest

WORKER = """
from workers import WorkerEntrypoint, Response
class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(self.env.GREETING)
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".toml", wrangler='name = "p"\nmain = "src/entry.py"\n[vars]\nGREETING = "hi"\n')
    (pytester.path / "src").mkdir()
    (pytester.path / "src" / "entry.py").write_text(WORKER)
    return pytester


def test_fixtures_work_under_pytest_asyncio(project: pytest.Pytester):
    project.makepyfile(test_app=textwrap.dedent("""
        import pytest

        @pytest.mark.asyncio
        async def test_client(pyflare_client):
            assert (await pyflare_client.get("/")).text == "hi"

        @pytest.mark.asyncio
        @pytest.mark.pyflare(vars={"GREETING": "marked"})
        async def test_marker_overrides_vars(pyflare):
            assert (await pyflare.dispatch_fetch("/")).text == "marked"
    """))
    project.runpytest_subprocess("-p", "no:cacheprovider", "-o", "asyncio_mode=strict").assert_outcomes(passed=2)


def test_fixtures_work_under_anyio(project: pytest.Pytester):
    project.makepyfile(test_app=textwrap.dedent("""
        import pytest

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.mark.anyio
        async def test_client(pyflare_client):
            assert (await pyflare_client.get("/")).text == "hi"
    """))
    project.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:asyncio").assert_outcomes(passed=1)


def test_each_test_gets_fresh_storage_and_a_manual_clock(project: pytest.Pytester):
    project.makefile(".toml", wrangler='main = "src/entry.py"\n[vars]\nGREETING = "hi"\n'
                     '[[kv_namespaces]]\nbinding = "KV"\nid = "k"\n')
    project.makepyfile(test_app=textwrap.dedent("""
        import pytest

        @pytest.mark.asyncio
        @pytest.mark.parametrize("round", [1, 2])
        async def test_isolated(pyflare, round):
            assert await pyflare.env.KV.get("k") is None
            await pyflare.env.KV.put("k", "v")
            before = pyflare.clock.time()
            assert pyflare.clock.time() == before
            pyflare.clock.advance(seconds=5)
            assert pyflare.clock.time() == before + 5
    """))
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "-o", "asyncio_mode=strict")
    result.assert_outcomes(passed=2)


def test_ini_option_names_the_config(pytester: pytest.Pytester):
    (pytester.path / "svc" / "src").mkdir(parents=True)
    (pytester.path / "svc" / "wrangler.toml").write_text('main = "src/entry.py"\n[vars]\nGREETING = "from-ini"\n')
    (pytester.path / "svc" / "src" / "entry.py").write_text(WORKER)
    pytester.makeini("[pytest]\npyflare_config = svc/wrangler.toml\nasyncio_mode = auto\n")
    pytester.makepyfile(test_app=textwrap.dedent("""
        async def test_ini(pyflare_client):
            assert (await pyflare_client.get("/")).text == "from-ini"
    """))
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_missing_or_broken_config_is_one_clear_error_with_the_fix(pytester: pytest.Pytester):
    pytester.makepyfile(test_app=textwrap.dedent("""
        import pytest

        @pytest.mark.asyncio
        async def test_needs_a_worker(pyflare):
            pass
    """))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-o", "asyncio_mode=strict")
    result.assert_outcomes(errors=1)
    out = result.stdout.str()
    assert "no wrangler.toml, wrangler.jsonc or wrangler.json in this folder" in out
    assert "pyflare_config = path/to/wrangler.toml" in out  # how to point the plugin at the config
    assert "config/loader.py" not in out and "plugin.py" not in out  # not pyflare's traceback

    pytester.makefile(".toml", wrangler='name = "p"\nmain = "src/missing.py"\n')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-o", "asyncio_mode=strict")
    result.assert_outcomes(errors=1)
    out = result.stdout.str()
    assert "main: src/missing.py does not exist" in out and "plugin.py" not in out
