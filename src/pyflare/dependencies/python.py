"""Whether the interpreter running pyflare is the Python Cloudflare would run the worker on, and one the
project's ``requires-python`` allows.

Cloudflare picks the Python (Pyodide) version from the compatibility flags and date
(:func:`pyflare.portability.targets.target_for` follows workerd: 3.12 with ``python_workers``, 3.13 with
``python_workers_20250116`` or a compatibility date from 2025-09-29, 3.14 with ``python_workers_20260610``).
pyflare runs the worker on the interpreter it was started with; :func:`python_notes` says, one line each,
when that is not the version Cloudflare would use, or not what ``requires-python`` allows.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterable


def running_python() -> str:
    return platform.python_version()


def python_notes(flags: Iterable[str], date: str | None, requires_python: str | None,
                 requires_python_file: str | None = None) -> list[str]:
    """One line each when Cloudflare's Python or ``requires-python`` does not match this interpreter."""
    from pyflare.portability.targets import target_for

    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    notes = []
    target = target_for(date, tuple(flags))
    if target is not None and target.python != here:
        notes.append(f"Python {target.python}: the version Cloudflare runs this worker on ({target.reason}); "
                     f"pyflare runs it on Python {running_python()} (start pyflare with python{target.python} "
                     "to match)")
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
