"""The pytest plugin, registered through the ``pytest11`` entry point.

Fixtures:
- ``pyflare``: a started :class:`pyflare.Pyflare` for the project's config with fresh, isolated, temporary
  storage and a manual clock (time moves only when the test advances it).
- ``pyflare_client``: an ``httpx.AsyncClient`` bound to that worker, base URL ``http://localhost``.
- ``pyflare_server``: a real ``pyflare dev`` subprocess on a free port (``.url``), once per session.

Options: marker ``@pytest.mark.pyflare(config=..., environment=..., vars=..., network=False,
apply_migrations=True, ...)``; ini ``pyflare_config``, ``pyflare_network`` and ``pyflare_apply_migrations``; marker ``@pytest.mark.strict_portability`` (or ini
``pyflare_strict_portability = true``) for strict portability mode. Everything works under pytest-xdist (``-n auto``): storage is
per test, and each xdist worker process starts its own server on its own port.

The fixtures work in async tests under pytest-asyncio and under anyio's plugin: the public fixtures are
synchronous and pick, per test, an async fixture that the test's own async framework runs, so the worker
lives on the same event loop as the test.

pytest imports this module in every run of an environment where pyflare is installed, including projects
that never use it: so it imports nothing of the emulator (nor httpx) until a fixture runs, and the
pytest-asyncio fixture is added only when pytest-asyncio's plugin is active.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pyflare.testing.starting import ini_configs, pyflare_for_test

if TYPE_CHECKING:
    import httpx

    from pyflare.instance import Pyflare
    from pyflare.testing.server import PyflareServer

MARKER_HELP = (
    "pyflare(config=None (a path, or a list of paths for several workers), environment=None, vars=None, clock='manual', **options): "
    "configure the pyflare fixture for this test"
)


STRICT_MARKER_HELP = ("strict_portability: the pyflare fixture's worker raises what would fail on Cloudflare's "
                      "Python Workers (threads, entropy at import, subprocesses, sockets); see docs/portability.md")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("pyflare_config", "path of the wrangler config the pyflare fixtures load (default: rootdir); "
                  "several paths separated by spaces run several workers, the first served")
    parser.addini("pyflare_network", "false: a worker's fetch() may not reach the real network in tests "
                  "(route it with pyflare.outbound)", type="bool", default=True)
    parser.addini("pyflare_apply_migrations", "true: the pyflare fixtures start with every D1 database's migrations "
                  "applied (pyflare_server runs pyflare dev --apply-migrations)", type="bool", default=False)
    parser.addini("pyflare_strict_portability", "true: every pyflare fixture runs its worker in strict portability "
                  "mode (as @pytest.mark.strict_portability)", type="bool", default=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    config.addinivalue_line("markers", STRICT_MARKER_HELP)
    if config.pluginmanager.has_plugin("asyncio"):  # pytest-asyncio is loaded already: this costs nothing
        from pyflare.testing import asyncio_fixture

        config.pluginmanager.register(asyncio_fixture, "pyflare-asyncio")


@pytest.fixture
async def _pyflare_anyio(request: pytest.FixtureRequest) -> AsyncIterator[Pyflare]:
    async for mf in pyflare_for_test(request):
        yield mf


def _is_anyio_test(request: pytest.FixtureRequest) -> bool:
    return "anyio_backend" in request.fixturenames or request.node.get_closest_marker("anyio") is not None


@pytest.fixture
def pyflare(request: pytest.FixtureRequest) -> Pyflare:
    """A started worker for this test, with fresh isolated storage."""
    if _is_anyio_test(request):
        return request.getfixturevalue("_pyflare_anyio")
    try:
        return request.getfixturevalue("_pyflare_asyncio")
    except pytest.FixtureLookupError:
        raise pytest.UsageError(
            "the pyflare fixture needs an async test: let anyio's plugin run it (anyio_mode = \"auto\" in "
            "the pytest ini, or @pytest.mark.anyio), or install pytest-asyncio"
        ) from None


@pytest.fixture(scope="session")
def pyflare_server(request: pytest.FixtureRequest) -> Iterator[PyflareServer]:
    """A real ``pyflare dev`` for the project's config on a free port of 127.0.0.1 (``.url``), with temporary
    state, shared by the tests of a session (of each pytest-xdist worker), like pytest-django's live_server.
    Options: ini ``pyflare_config``, ``pyflare_apply_migrations``; override the fixture for other arguments."""
    from pyflare.config import find_config
    from pyflare.testing.server import PyflareServer

    rootdir = Path(str(request.config.rootpath))
    config = ini_configs(request.config)
    paths = [rootdir / p for p in ([config] if isinstance(config, str) else config)] if config else [find_config(rootdir)]
    server = PyflareServer(paths, apply_migrations=bool(request.config.getini("pyflare_apply_migrations")))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pyflare_client(pyflare: Pyflare) -> httpx.AsyncClient:
    """An httpx.AsyncClient talking to the ``pyflare`` worker in-process (base URL http://localhost)."""
    return pyflare.client
