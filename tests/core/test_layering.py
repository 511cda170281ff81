"""The layering of src/pyflare holds: the import-linter contracts in pyproject.toml ([tool.importlinter]).

Each layer imports only the layers below it (README "Layout"), the kernel imports nothing else of pyflare,
binding packages do not import each other, sibling modules import each other in one direction only (the
typing-only exceptions are listed by name in the contract), and the SDK's private modules stay inside it.
CI runs this test, so a change that breaks the layering fails it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def test_the_import_contracts_hold():
    try:
        import importlinter  # noqa: F401
    except ImportError:  # pragma: no cover - a test dependency
        raise AssertionError("import-linter is needed: pip install -e '.[test]'") from None
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run([sys.executable, "-c", LINT, "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"lint-imports found a broken contract:\n{result.stdout}\n{result.stderr}"
    assert "0 broken" in result.stdout
