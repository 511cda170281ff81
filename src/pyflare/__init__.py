"""pyflare: a local emulator of the Cloudflare Workers platform for Python workers (installed from PyPI as
``pyflare-emulator``).

Public API: :class:`Pyflare` (one emulated worker), :class:`Clock` (the one clock), and
:func:`load_config`. Packages: ``config`` (wrangler config), ``runtime`` (loading and serving the worker),
``workers`` (the ``workers`` module that worker code imports), ``bindings`` (KV, R2, D1, Queues),
``cron`` (scheduled triggers), ``storage`` (state on disk), ``cli`` (``pyflare`` command) and ``testing``
(the pytest plugin).

The names below are imported on first use, so that importing a submodule (the pytest plugin's entry point
loads in every pytest run of an environment where pyflare is installed) does not import the emulator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyflare.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "Clock": "pyflare.clock",
    "ConfigError": "pyflare.config",
    "load_config": "pyflare.config",
    "Pyflare": "pyflare.instance",
    "WorkerLoadError": "pyflare.runtime.worker",
}

__all__ = ["Clock", "ConfigError", "Pyflare", "WorkerLoadError", "__version__", "load_config"]

if TYPE_CHECKING:
    from pyflare.clock import Clock
    from pyflare.config import ConfigError, load_config
    from pyflare.instance import Pyflare
    from pyflare.runtime.worker import WorkerLoadError


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
