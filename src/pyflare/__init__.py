"""pyflare: a local emulator of the Cloudflare Workers platform for Python workers (installed from PyPI as
``pyflare-emulator``).

Public API: :class:`Pyflare` (emulated workers), :class:`Clock` (the one clock), :func:`load_config`,
``ConfigError`` and ``WorkerLoadError``; the ``pyflare`` command (``cli``) and the pytest plugin
(``testing``). How the packages are layered is in README.md ("Layout").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyflare.kernel.lazy import lazy_exports

if TYPE_CHECKING:  # what type checkers see; at run time each name is imported on first use (below)
    from pyflare.config import ConfigError, load_config
    from pyflare.instance import Pyflare
    from pyflare.kernel.clock import Clock
    from pyflare.runtime.worker import WorkerLoadError

__version__ = "0.1.0"

__all__ = ["Clock", "ConfigError", "Pyflare", "WorkerLoadError", "__version__", "load_config"]

# Where each public name lives. Importing them on first use means importing one part of pyflare (the
# kernel, one binding, the CLI's argument parser, the pytest plugin's entry point, which pytest loads in
# every run of an environment where pyflare is installed) does not import all of it.
_PUBLIC = {
    "Clock": "pyflare.kernel.clock",
    "ConfigError": "pyflare.config",
    "load_config": "pyflare.config",
    "Pyflare": "pyflare.instance",
    "WorkerLoadError": "pyflare.runtime.worker",
}

__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)
