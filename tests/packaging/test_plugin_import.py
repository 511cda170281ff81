"""pytest imports pyflare's plugin in every run of an environment where pyflare is installed: it must import
nothing of the emulator until a test asks for one of its fixtures (benchmarks/bench_plugin_import.py
measures the cost)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# What the entry point may load: the plugin and how it starts a test's worker, its packages, the lazy-export
# helper, and the pytest-asyncio half of the plugin where pytest-asyncio is active.
TINY = {"pyflare", "pyflare.kernel", "pyflare.kernel.lazy", "pyflare.testing", "pyflare.testing.plugin",
        "pyflare.testing.starting", "pyflare.testing.asyncio_fixture"}


def test_importing_the_entry_point_imports_only_the_plugin():
    code = textwrap.dedent("""
        import json, sys
        import pytest
        before = set(sys.modules)
        import pyflare.testing.plugin
        print(json.dumps(sorted(set(sys.modules) - before)))
    """)
    added = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                      check=True).stdout)
    assert set(added) <= TINY, set(added) - TINY


CONFTEST = """
import json, os, sys

def pytest_sessionfinish(session):
    loaded = sorted(m for m in sys.modules if m == "pyflare" or m.startswith("pyflare."))
    with open(os.environ["LOADED_FILE"], "w") as f:
        json.dump(loaded, f)
"""


def test_a_pytest_run_that_uses_no_fixture_loads_nothing_of_the_emulator(pytester, monkeypatch):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    loaded_file = pytester.path / "loaded.json"
    monkeypatch.setenv("LOADED_FILE", str(loaded_file))
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "pyflare" in json.loads(loaded_file.read_text())  # the plugin was loaded...
    assert set(json.loads(loaded_file.read_text())) <= TINY  # ...and nothing more


def test_a_fixture_loads_the_emulator_when_a_test_asks_for_it(pytester):
    pytester.makefile(".toml", wrangler='main = "src/entry.py"\ncompatibility_date = "2025-11-01"\n'
                                         'compatibility_flags = ["python_workers"]\n')
    (pytester.mkdir("src") / "entry.py").write_text(
        "from workers import Response, WorkerEntrypoint\n"
        "class Default(WorkerEntrypoint):\n"
        "    async def fetch(self, request):\n"
        "        return Response('hi')\n")
    pytester.makepyfile(test_uses_a_fixture="""
        import pytest

        @pytest.mark.anyio
        async def test_worker(pyflare_client, anyio_backend):
            assert (await pyflare_client.get("/")).text == "hi"
    """)
    pytester.makeconftest("import pytest\n\n@pytest.fixture\ndef anyio_backend():\n    return 'asyncio'\n")
    pytester.runpytest("-q", "-p", "no:cacheprovider", "-p", "no:asyncio").assert_outcomes(passed=1)


def test_every_lazily_exported_name_resolves():
    import pyflare
    import pyflare.testing

    for package in (pyflare, pyflare.testing):
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"
