"""What pyflare is installed as: its distribution name on PyPI and its extras, and the one-line error a
missing optional dependency raises, naming the extra that brings it.

The name ``pyflare`` on PyPI belongs to an unrelated project, so pyflare is installed as
``pyflare-emulator`` (imported as ``pyflare``, run as the ``pyflare`` command). Extras:

- ``testing``: what a project's tests need for pyflare's fixtures (pytest, anyio, httpx-ws);
- ``debug``: debugpy, for ``pyflare dev --debug``;
- ``dev``: pyflare's own development tools (its test suite, linters, browsers, profiler, packaging).
"""

from __future__ import annotations

import importlib
from types import ModuleType

DISTRIBUTION = "pyflare-emulator"


class MissingDependency(ModuleNotFoundError):
    """An optional dependency is not installed; the message names the extra that installs it."""


def install_hint(extra: str) -> str:
    return f"python3 -m pip install '{DISTRIBUTION}[{extra}]'"


def require(module: str, *, feature: str, package: str, extra: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingDependency` with one line: what needs it, which package
    it comes from, and the command that installs the extra holding it. A module missing *inside* an
    installed package is not ours to explain, so that error passes unchanged."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or not (module == exc.name or module.startswith(exc.name + ".")):
            raise
        raise MissingDependency(f"{feature} needs {package}, which is not installed: {install_hint(extra)}",
                                name=exc.name) from None
