"""pyflare: a local emulator of the Cloudflare Workers platform for Python workers.

Public API: :class:`Pyflare` (emulated workers), :class:`Clock` (the one clock), :func:`load_config`,
``ConfigError`` and ``WorkerLoadError``; the ``pyflare`` command (``cli``) and the pytest plugin
(``testing``). How the packages are layered is in README.md ("Layout").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers see; at run time each name is imported on first use (below)
    from pyflare.config import ConfigError, load_config
    from pyflare.instance import Pyflare
    from pyflare.kernel.clock import Clock
    from pyflare.runtime.worker import WorkerLoadError

__version__ = "0.1.0"

__all__ = ["Clock", "ConfigError", "Pyflare", "WorkerLoadError", "__version__", "load_config"]

# Where each public name lives. Importing them on first use means importing one part of pyflare (the
# kernel, one binding, the CLI's argument parser) does not import all of it.
_PUBLIC = {
    "Clock": "pyflare.kernel.clock",
    "ConfigError": "pyflare.config",
    "load_config": "pyflare.config",
    "Pyflare": "pyflare.instance",
    "WorkerLoadError": "pyflare.runtime.worker",
}


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'pyflare' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
