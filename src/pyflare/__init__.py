"""pyflare: a local emulator of the Cloudflare Workers platform for Python workers.

Public API: :class:`Pyflare` (one emulated worker), :class:`Clock` (the one clock), and
:func:`load_config`. Packages: ``config`` (wrangler config), ``runtime`` (loading and serving the worker),
``workers`` (the ``workers`` module that worker code imports), ``bindings`` (KV, R2, D1, Queues),
``cron`` (scheduled triggers), ``storage`` (state on disk), ``cli`` (``pyflare`` command) and ``testing``
(the pytest plugin).
"""

from pyflare.clock import Clock
from pyflare.config import ConfigError, load_config
from pyflare.instance import Pyflare
from pyflare.runtime.worker import WorkerLoadError

__version__ = "0.1.0"

__all__ = ["Clock", "ConfigError", "Pyflare", "WorkerLoadError", "__version__", "load_config"]
