"""The pytest plugin, registered through the ``pytest11`` entry point.

Fixtures:
- ``pyflare``: a started :class:`pyflare.Pyflare` for the project's config with fresh, isolated, temporary
  storage and a manual clock (time moves only when the test advances it).
- ``pyflare_client``: an ``httpx.AsyncClient`` bound to that worker, base URL ``http://localhost``.
- ``pyflare_server``: a real ``pyflare dev`` subprocess on a free port (``.url``), once per session.

Options: marker ``@pytest.mark.pyflare(config=..., environment=..., vars=..., network=False, ...)``; ini
``pyflare_config`` and ``pyflare_network``; marker ``@pytest.mark.strict_portability`` (or ini
``pyflare_strict_portability = true``) for strict portability mode. Everything works under pytest-xdist (``-n auto``): storage is
per test, and each xdist worker process starts its own server on its own port.

The fixtures work in async tests under pytest-asyncio and under anyio's plugin: the public fixtures are
synchronous and pick, per test, an async fixture that the test's own async framework runs, so the worker
lives on the same event loop as the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pyflare.config import ConfigError, find_config
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
    parser.addini("pyflare_strict_portability", "true: every pyflare fixture runs its worker in strict portability "
                  "mode (as @pytest.mark.strict_portability)", type="bool", default=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    config.addinivalue_line("markers", STRICT_MARKER_HELP)


def _ini_configs(config: pytest.Config) -> str | list[str] | None:
    """``pyflare_config``: one path, or several separated by whitespace (several workers, the first served)."""
    paths = str(config.getini("pyflare_config") or "").split()
    return None if not paths else paths[0] if len(paths) == 1 else paths


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("pyflare")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    if marker and marker.args:
        options.setdefault("config", marker.args[0])
    config = options.pop("config", None) or _ini_configs(request.config)
    rootdir = Path(str(request.config.rootpath))
    if config is None:
        config = find_config(rootdir)
    elif isinstance(config, (list, tuple)):  # several workers: the first is the one served
        config = [c if not isinstance(c, (str, Path)) or Path(c).is_absolute() else rootdir / c for c in config]
    elif isinstance(config, (str, Path)) and not Path(config).is_absolute():
        config = rootdir / config
    options["config"] = config
    options.setdefault("clock", "manual")
    options.setdefault("network", request.config.getini("pyflare_network"))
    if request.node.get_closest_marker("strict_portability") or request.config.getini("pyflare_strict_portability"):
        options.setdefault("strict_portability", True)
    return options


NO_CONFIG_HINT = ("\n(pytest's rootdir is {rootdir}: put the test's worker config there, or point the plugin at "
                  "it with the ini option pyflare_config = path/to/wrangler.toml, or "
                  "@pytest.mark.pyflare(config=...))")


async def _started(request: pytest.FixtureRequest) -> AsyncIterator[Pyflare]:
    problem = None
    try:
        options = _options(request)
        mf = Pyflare(options.pop("config"), persist_to=None, **options)
        await mf.start()
    except ConfigError as exc:  # the user's config, not pyflare: one message, without pyflare's traceback
        hint = NO_CONFIG_HINT.format(rootdir=request.config.rootpath) if "no wrangler.toml" in str(exc) else ""
        problem = f"pyflare: {exc}{hint}"
    if problem is not None:  # outside the except block, so the ConfigError is not chained to the report
        pytest.fail(problem, pytrace=False)
    try:
        yield mf
    finally:
        await mf.close()


@pytest.fixture
async def _pyflare_anyio(request: pytest.FixtureRequest) -> AsyncIterator[Pyflare]:
    async for mf in _started(request):
        yield mf


try:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def _pyflare_asyncio(request: pytest.FixtureRequest) -> AsyncIterator[Pyflare]:
        async for mf in _started(request):
            yield mf

except ImportError:  # pragma: no cover - anyio-only projects
    pass


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
            "the pyflare fixture needs an async test framework: install pytest-asyncio, "
            "or mark the test with @pytest.mark.anyio"
        ) from None


@pytest.fixture(scope="session")
def pyflare_server(request: pytest.FixtureRequest) -> Iterator[PyflareServer]:
    """A real ``pyflare dev`` for the project's config on a free port of 127.0.0.1 (``.url``), with temporary
    state, shared by the tests of a session (of each pytest-xdist worker), like pytest-django's live_server.
    Options: ini ``pyflare_config``; override the fixture for other arguments."""
    rootdir = Path(str(request.config.rootpath))
    config = _ini_configs(request.config)
    paths = [rootdir / p for p in ([config] if isinstance(config, str) else config)] if config else [find_config(rootdir)]
    server = PyflareServer(paths)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pyflare_client(pyflare: Pyflare) -> httpx.AsyncClient:
    """An httpx.AsyncClient talking to the ``pyflare`` worker in-process (base URL http://localhost)."""
    return pyflare.client
