"""Which Python runtime Cloudflare gives a worker, from its compatibility date and flags.

The selection follows workerd (src/workerd/io/compatibility-date.capnp; the newest enabled flag wins, as
``getPythonSnapshotRelease`` in src/workerd/api/pyodide/pyodide.c++ picks it) and the Pyodide release
each flag names (build/python_metadata.bzl). Packages are resolved by pywrangler against the Pyodide
package index of the same Python version (``get_pyodide_index`` in workers-py's
packages/cli/src/pywrangler/utils.py): the index need not be the runtime's own release, only ABI-compatible.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """One of Cloudflare's Python runtimes."""

    python: str  # "3.13"
    pyodide: str  # the Pyodide release the runtime runs
    package_index: str  # the Pyodide package index pywrangler resolves packages against
    flag: str  # the compatibility flag that selects it
    reason: str  # why this config gets it, for messages

    @property
    def version(self) -> tuple[int, int]:
        major, minor = self.python.split(".")
        return int(major), int(minor)

    @property
    def sockets(self) -> bool:
        """Blocking TCP sockets (``socket.create_connection``) work from Pyodide 314 on (workerd commit
        "Enable socket operations in Python Workers"; older releases are skipped by its sockets test)."""
        return self.version >= (3, 14)


PYTHON_312 = ("3.12", "0.26.0a2", "0.27.7", "python_workers")
PYTHON_313 = ("3.13", "0.28.2", "0.28.3", "python_workers_20250116")
PYTHON_314 = ("3.14", "314.0.4", "314.0.2", "python_workers_20260610")
PYTHON_314_NEXT = ("3.14", "314.0.5", "314.0.2", "python_workers_20260817")  # experimental in workerd

# python_workers_20250116 is implied by python_workers from this compatibility date on.
PYTHON_313_DATE = datetime.date(2025, 9, 29)
# python_no_global_handlers (top-level on_fetch & co. are no longer handlers) from this date on.
NO_GLOBAL_HANDLERS_DATE = datetime.date(2025, 8, 14)

PYTHON_VERSIONS = ("3.12", "3.13", "3.14")


def _date(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def target_for(compatibility_date: str | None, flags: list[str] | tuple[str, ...]) -> Target | None:
    """The runtime a worker with this date and these flags runs on; None without ``python_workers``."""
    flags = list(flags)
    if "python_workers" not in flags and "python_workers_development" not in flags:
        return None
    date = _date(compatibility_date)
    if "python_workers_20260817" in flags and "no_python_workers_20260817" not in flags:
        return Target(*PYTHON_314_NEXT, reason="compatibility flag python_workers_20260817")
    if "python_workers_20260610" in flags and "no_python_workers_20260610" not in flags:
        return Target(*PYTHON_314, reason="compatibility flag python_workers_20260610")
    if "no_python_workers_20250116" not in flags:
        if "python_workers_20250116" in flags:
            return Target(*PYTHON_313, reason="compatibility flag python_workers_20250116")
        if date is not None and date >= PYTHON_313_DATE:
            return Target(*PYTHON_313, reason=f"compatibility_date {date} (on or after {PYTHON_313_DATE})")
    return Target(*PYTHON_312, reason="compatibility flag python_workers"
                  + (f" with compatibility_date {date}" if date else ""))


def global_handlers_disabled(compatibility_date: str | None, flags: list[str] | tuple[str, ...]) -> bool:
    """Whether ``python_no_global_handlers`` is on: top-level ``on_fetch`` & co. are not handlers then."""
    if "disable_python_no_global_handlers" in flags:
        return False
    if "python_no_global_handlers" in flags:
        return True
    date = _date(compatibility_date)
    return date is not None and date >= NO_GLOBAL_HANDLERS_DATE
