"""``pyflare init [NAME]``: scaffold a Python Worker project that serves and passes its test straight away.

Writes a wrangler.toml (with today's compatibility date and the ``python_workers`` flag), ``src/entry.py``,
``tests/test_entry.py`` (using pyflare's pytest fixtures), ``tests/conftest.py``, a ``pyproject.toml`` and a
``.gitignore``. Existing files are never overwritten.

The tests run on anyio's pytest plugin (``anyio_mode = "auto"``): anyio comes with pyflare, so the project
works the same with pip (``pip install 'pyflare-emulator[testing]'``), with uv (``uv sync && uv run
pytest``, from the ``dev`` dependency group) and beside pytest-asyncio, without a warning in any of them.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import re
import sys
from pathlib import Path
from typing import Any

from pyflare.kernel.distribution import DISTRIBUTION, install_hint

DESCRIPTION = """\
Create a Python Worker project: a worker, a test and a config that run straight away.

  pyflare init my-worker
  cd my-worker
  pyflare dev                 # http://127.0.0.1:8787/?name=you
  python3 -m pytest -q        # needs: python3 -m pip install 'pyflare-emulator[testing]'
  (or with uv: uv sync && uv run pytest)"""

WRANGLER_TOML = '''\
name = "{name}"
main = "src/entry.py"
compatibility_date = "{date}"
compatibility_flags = ["python_workers"]

[vars]
GREETING = "Hello"
'''

ENTRY_PY = '''\
from urllib.parse import parse_qs, urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        name = parse_qs(urlparse(request.url).query).get("name", ["world"])[0]
        return Response(f"{self.env.GREETING}, {name}!")
'''

TEST_PY = '''\
"""Each test gets the worker in wrangler.toml with fresh, isolated storage (pyflare's pytest plugin)."""


async def test_greets_by_name(pyflare_client):
    response = await pyflare_client.get("/?name=Ada")
    assert response.status_code == 200
    assert response.text == "Hello, Ada!"


async def test_greeting_comes_from_vars(pyflare):
    assert pyflare.env.GREETING == "Hello"
'''

CONFTEST_PY = '''\
import pytest


@pytest.fixture
def anyio_backend():
    # Async tests and pyflare's fixtures run on asyncio, as Cloudflare's Python Workers do (anyio would
    # otherwise also try trio, where it is installed).
    return "asyncio"
'''

PYPROJECT_TOML = '''\
[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.10"
# The worker's own packages (pywrangler vendors them for Cloudflare; pyflare checks they are installed).
dependencies = []

[dependency-groups]
dev = ["{distribution}[testing]"]

[tool.pytest.ini_options]
testpaths = ["tests"]
# async def tests run on anyio's pytest plugin (anyio comes with pyflare), no marker needed
anyio_mode = "auto"
'''

GITIGNORE = """\
.pyflare/
.dev.vars*
.env*
__pycache__/
.venv/
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("init", help="📥 Create a Python Worker project (worker, test, config)",
                                   description=DESCRIPTION)
    parser.add_argument("name", nargs="?", default=None,
                        help="The folder to create (default: the current folder); its name names the worker")
    parser.set_defaults(handler=run)


def worker_name(folder: Path) -> str:
    """A valid Worker name from a folder name: lowercase letters, digits and dashes, at most 63 characters."""
    name = re.sub(r"[^a-z0-9-]+", "-", folder.name.lower()).strip("-")[:63].strip("-")
    return name or "my-worker"


def run(args: argparse.Namespace) -> int:
    folder = Path(args.name or ".").resolve()
    name = worker_name(folder)
    files = {
        "wrangler.toml": WRANGLER_TOML.format(name=name, date=_dt.date.today().isoformat()),
        "src/entry.py": ENTRY_PY,
        "tests/test_entry.py": TEST_PY,
        "tests/conftest.py": CONFTEST_PY,
        "pyproject.toml": PYPROJECT_TOML.format(name=name, distribution=DISTRIBUTION),
        ".gitignore": GITIGNORE,
    }
    existing = [path for path in files if (folder / path).exists()]
    existing += [c for c in ("wrangler.json", "wrangler.jsonc") if (folder / c).exists()]
    if existing:
        print(f"✘ [ERROR] {folder} already has {', '.join(existing)}; pyflare init never overwrites files. "
              "Choose a new folder: pyflare init NAME", file=sys.stderr)
        return 1
    if folder.exists() and not folder.is_dir():
        print(f"✘ [ERROR] {folder} exists and is not a folder", file=sys.stderr)
        return 1
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    shown = args.name or "."
    print(f"✨ Created Python Worker \"{name}\" in {shown}: {', '.join(files)}\n")
    print("Next steps:")
    if args.name:
        print(f"  cd {args.name}")
    print("  pyflare dev                # then open http://127.0.0.1:8787/?name=you")
    print(f"  python3 -m pytest -q       # needs: {install_hint('testing')}")
    print("  (with uv: uv sync && uv run pytest)")
    return 0
