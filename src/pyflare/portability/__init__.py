"""Portability to Cloudflare's Python Workers: what runs under pyflare but would fail (or behave otherwise)
once deployed, where pyflare's CPython meets Cloudflare's Pyodide inside workerd.

This package owns:
- the target runtime a config selects (:mod:`.targets`: Python and Pyodide versions from compatibility
  date and flags);
- the knowledge it decides from, shipped as data with its source and date (``data/``: Pyodide's package
  lists, the standard library by Python version) and the command that refreshes it (:mod:`.refresh`);
- the rules, their messages and fixes (:mod:`.rules`, :mod:`.apis`);
- ``pyflare check`` (:func:`check`, :mod:`.checker`), reading a project statically;
- strict mode (:mod:`.strict`), raising the same messages at the point of use while a worker runs.

docs/portability.md explains every rule with its source. Nothing here is imported until used: the runtime
reaches :mod:`.strict` only for a worker in strict mode.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RULES", "Finding", "NotPortableError", "PortabilityWarning", "Report", "StrictMode", "check",
           "strict_mode_for"]


def __getattr__(name: str) -> Any:
    if name in ("Report", "check"):
        from pyflare.portability import checker as module
    elif name in ("StrictMode", "strict_mode_for"):
        from pyflare.portability import strict as module
    elif name in ("RULES", "Finding", "NotPortableError", "PortabilityWarning"):
        from pyflare.portability import rules as module
    else:
        raise AttributeError(f"module 'pyflare.portability' has no attribute {name!r}")
    return getattr(module, name)
