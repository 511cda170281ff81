"""Run the test suite on every CPython pyflare supports: ``nox`` (all), ``nox -s tests-3.12`` (one).

Interpreters are found on PATH as ``python3.X``; versions installed with pyenv are found too, even when
they are not pyenv's active version. A version missing from the machine is skipped with a message
(``nox --error-on-missing-interpreters`` makes that an error).
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

PYTHONS = ["3.10", "3.11", "3.12", "3.13", "3.14"]

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True


def _add_pyenv_versions_to_path() -> None:
    """Put each pyenv-installed CPython's bin folder on PATH, so ``python3.X`` finds it directly."""
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if not versions.is_dir():
        return
    folders = []
    for version in PYTHONS:
        candidates = sorted(versions.glob(f"{version}.*/bin"), key=lambda path: path.parent.name)
        if candidates and (candidates[-1] / f"python{version}").exists():
            folders.append(str(candidates[-1]))
    os.environ["PATH"] = os.pathsep.join([*folders, os.environ.get("PATH", "")])


_add_pyenv_versions_to_path()


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Install pyflare with its dev extra into a fresh virtualenv and run the suite (extra args go to pytest)."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", "-q", *session.posargs)
