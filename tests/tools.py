"""Command-line tools some tests drive (uv, py-spy): found where they are installed, else installed from
PyPI into a folder kept between runs; a test skips with one line where that is not possible."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

TOOLS = Path(tempfile.gettempdir()) / "pyflare-test-tools"


def pypi_tool(package: str, executable: str | None = None) -> Path:
    """The ``executable`` (default: the package's name) of ``package``: on PATH, beside this Python, or
    ``pip install --target`` into :data:`TOOLS` (pip's cache makes later installs quick)."""
    name = executable or package
    found = shutil.which(name) or shutil.which(name, path=sysconfig.get_path("scripts"))
    if found:
        return Path(found)
    binary = TOOLS / package / "bin" / name
    if not binary.exists():
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        result = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", TOOLS / package, package],
                                env=env, capture_output=True, text=True, timeout=600)
        if result.returncode != 0 or not binary.exists():
            pytest.skip(f"{package} is not installable here (pip install {package} failed)")
    return binary
