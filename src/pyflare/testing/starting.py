"""How the pytest plugin starts a test's :class:`pyflare.Pyflare`: its options from the ``pyflare`` marker and
the ini options, a check that the test runs on asyncio, and a config error reported as one line.

Imported with the plugin, so it imports nothing of the emulator until a fixture runs; shared by the
plugin's anyio fixture and by its pytest-asyncio one (:mod:`pyflare.testing.asyncio_fixture`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pyflare.instance import Pyflare


def ini_configs(config: pytest.Config) -> str | list[str] | None:
    """``pyflare_config``: one path, or several separated by whitespace (several workers, the first served)."""
    paths = str(config.getini("pyflare_config") or "").split()
    return None if not paths else paths[0] if len(paths) == 1 else paths


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("pyflare")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    if marker and marker.args:
        options.setdefault("config", marker.args[0])
    config = options.pop("config", None) or ini_configs(request.config)
    rootdir = Path(str(request.config.rootpath))
    if config is None:
        from pyflare.config import find_config

        config = find_config(rootdir)
    elif isinstance(config, (list, tuple)):  # several workers: the first is the one served
        config = [c if not isinstance(c, (str, Path)) or Path(c).is_absolute() else rootdir / c for c in config]
    elif isinstance(config, (str, Path)) and not Path(config).is_absolute():
        config = rootdir / config
    options["config"] = config
    options.setdefault("clock", "manual")
    options.setdefault("network", request.config.getini("pyflare_network"))
    if request.config.getini("pyflare_apply_migrations"):
        options.setdefault("apply_migrations", True)
    if request.node.get_closest_marker("strict_portability") or request.config.getini("pyflare_strict_portability"):
        options.setdefault("strict_portability", True)
    return options


NO_CONFIG_HINT = ("\n(pytest's rootdir is {rootdir}: put the test's worker config there, or point the plugin at "
                  "it with the ini option pyflare_config = path/to/wrangler.toml, or "
                  "@pytest.mark.pyflare(config=...))")


async def pyflare_for_test(request: pytest.FixtureRequest) -> AsyncIterator[Pyflare]:
    from pyflare.config import ConfigError
    from pyflare.instance import Pyflare

    _check_backend(request)
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


def _check_backend(request: pytest.FixtureRequest) -> None:
    """pyflare runs on asyncio (as workerd's Python runtime does): under anyio, trio cannot host it."""
    if "anyio_backend" in request.fixturenames:
        backend = request.getfixturevalue("anyio_backend")
        name = backend if isinstance(backend, str) else backend[0]
        if name != "asyncio":
            pytest.skip(f"pyflare's fixtures run on asyncio, not {name}: return \"asyncio\" from an "
                        "anyio_backend fixture (pyflare init's tests/conftest.py does)")
