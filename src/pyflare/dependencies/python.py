"""Which Python Cloudflare runs a worker on, and whether the interpreter running pyflare matches it.

Cloudflare picks the Python (Pyodide) version from the compatibility flags and date (workerd's
``compatibility-date.capnp``, pywrangler's ``metadata.PYTHON_COMPAT_VERSIONS``, checked October 2026):

- ``python_workers_20260610`` (or the experimental ``python_workers_20260817``): Python 3.14
  (Pyodide 314.x); no date turns it on yet;
- ``python_workers_20250116``, or a compatibility date from 2025-09-29 (unless ``no_python_workers_20250116``):
  Python 3.13 (Pyodide 0.28);
- otherwise ``python_workers``: Python 3.12 (Pyodide 0.27).

pyflare runs the worker on the interpreter it was started with; :func:`python_notes` says when that is
not the version Cloudflare would use, or not what the project's ``requires-python`` allows.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterable

PY314_FLAGS = ("python_workers_20260610", "python_workers_20260817")
PY313_FLAG = "python_workers_20250116"
PY313_DATE = "2025-09-29"


def cloudflare_python(flags: Iterable[str], date: str | None) -> str | None:
    """The ``major.minor`` Cloudflare runs a worker on, or None when the config is not a Python Worker's."""
    flags = set(flags)
    if not flags & {"python_workers", "python_workers_development"}:
        return None
    if flags & set(PY314_FLAGS):
        return "3.14"
    if PY313_FLAG in flags:
        return "3.13"
    if f"no_{PY313_FLAG}" not in flags and date is not None and date >= PY313_DATE:
        return "3.13"
    return "3.12"


def _why(flags: set[str], date: str | None, version: str) -> str:
    if version == "3.14":
        return next(flag for flag in PY314_FLAGS if flag in flags)
    if version == "3.13":
        return PY313_FLAG if PY313_FLAG in flags else f"compatibility_date {date}"
    return "python_workers" + (f", compatibility_date {date}" if date else "")


def running_python() -> str:
    return platform.python_version()


def python_notes(flags: Iterable[str], date: str | None, requires_python: str | None,
                 requires_python_file: str | None = None) -> list[str]:
    """One line each when Cloudflare's Python or ``requires-python`` does not match this interpreter."""
    flags = set(flags)
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    notes = []
    wanted = cloudflare_python(flags, date)
    if wanted is not None and wanted != here:
        notes.append(f"Python {wanted}: the version Cloudflare runs this worker on ({_why(flags, date, wanted)}); "
                     f"pyflare runs it on Python {running_python()} (start pyflare with python{wanted} to match)")
    if requires_python:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            allowed = SpecifierSet(requires_python).contains(running_python(), prereleases=True)
        except InvalidSpecifier:
            allowed = True
        if not allowed:
            where = f"{requires_python_file}: " if requires_python_file else ""
            notes.append(f'{where}requires-python "{requires_python}" does not allow Python {running_python()}, '
                         "which is running pyflare")
    return notes
