"""Types for worker code: pyflare ships py.typed and stub-only packages for ``workers``, ``js``, ``pyodide`` and
``asgi``; ``pyflare types`` writes a typed ``Env`` for a config, where pywrangler writes its own."""

from __future__ import annotations

import ast
import importlib
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.conftest import write_worker

import pyflare
from pyflare.cli import main as cli_main

SRC = Path(pyflare.__file__).resolve().parents[1]
STUB_PACKAGES = {"workers": "pyflare.workers", "js": "pyflare.workers.js", "pyodide": "pyflare.workers.pyodide",
                 "asgi": "pyflare.workers.asgi"}


def stub_files() -> list[Path]:
    return sorted(p for name in STUB_PACKAGES for p in (SRC / f"{name}-stubs").rglob("*.pyi"))


def test_pyflare_is_marked_typed_and_ships_a_stub_package_per_runtime_module():
    assert (SRC / "pyflare" / "py.typed").is_file()
    for name in STUB_PACKAGES:
        assert (SRC / f"{name}-stubs" / "__init__.pyi").is_file(), name
    pyproject = (SRC.parent / "pyproject.toml").read_text()
    for name in STUB_PACKAGES:  # packaged: in the wheel beside pyflare
        assert f'"{name}-stubs"' in pyproject


@pytest.mark.parametrize("stub", stub_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_stub_reexports_a_module_that_declares_its_public_names(stub):
    """A stub re-exports pyflare's implementation (star imports follow ``__all__``), so it cannot drift."""
    tree = ast.parse(stub.read_text())
    imports = [node for node in tree.body if isinstance(node, ast.ImportFrom)]
    assert imports, stub
    for node in imports:
        module = importlib.import_module(node.module)
        for alias in node.names:
            if alias.name == "*":
                assert all(hasattr(module, name) for name in module.__all__), node.module
            else:
                assert hasattr(module, alias.name) or importlib.util.find_spec(f"{node.module}.{alias.name}")


def test_the_workers_stub_covers_the_workers_module():
    stub = (SRC / "workers-stubs" / "__init__.pyi").read_text()
    assert "from pyflare.workers import *" in stub
    import pyflare.workers as workers

    assert {"Response", "Request", "WorkerEntrypoint", "DurableObject", "env", "fetch"} <= set(workers.__all__)


CONFIG = """
name = "typed"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]
[vars]
GREETING = "hello"
LIMIT = 5
RATIO = 0.5
FLAGS = { beta = true }
[[kv_namespaces]]
binding = "KV"
id = "abc"
[[d1_databases]]
binding = "DB"
database_name = "db"
database_id = "x"
[[durable_objects.bindings]]
name = "ROOMS"
class_name = "Room"
[[queues.producers]]
binding = "JOBS"
queue = "jobs"
[ai]
binding = "AI"
"""
ENTRY = {"src/entry.py": "from workers import WorkerEntrypoint\nclass Room:\n    pass\n"}


def test_pyflare_types_writes_an_env_with_a_type_per_binding_var_and_secret(tmp_path, capsys):
    config = write_worker(tmp_path / "w", CONFIG, ENTRY)
    (config.parent / ".dev.vars").write_text("API_KEY=s3cret\n")
    assert cli_main(["types", str(config)]) == 0
    stub = (config.parent / "src" / "js-stubs" / "__init__.pyi").read_text()
    assert "Generated " in capsys.readouterr().out
    assert "from pyflare.workers.js import *" in stub
    assert "from pyflare.workers.bindings import D1Database, DurableObjectNamespace, KVNamespace, Queue" in stub
    env = stub[stub.index("class Env:"):]
    assert env == textwrap.dedent("""\
        class Env:
            KV: KVNamespace  # KV Namespace (abc)
            DB: D1Database  # D1 Database (db)
            JOBS: Queue  # Queue (jobs)
            ROOMS: DurableObjectNamespace  # Durable Object (Room)
            AI: Any  # AI
            GREETING: str  # var
            LIMIT: int  # var
            RATIO: float  # var
            FLAGS: JsDict  # var
            API_KEY: str  # secret
        """)
    compile(stub, "stub.pyi", "exec")  # valid Python


def test_pyflare_types_check_reports_a_stale_file(tmp_path, capsys):
    config = write_worker(tmp_path / "w", CONFIG, ENTRY)
    assert cli_main(["types", str(config), "--check"]) == 1
    assert "is missing: run pyflare types" in capsys.readouterr().err
    assert cli_main(["types", str(config)]) == 0
    assert cli_main(["types", str(config), "--check"]) == 0
    config.write_text(CONFIG.replace('LIMIT = 5', 'LIMIT = "5"'))
    assert cli_main(["types", str(config), "--check"]) == 1
    assert "is out of date" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("mypy") is None and importlib.util.find_spec("mypy") is None,
                    reason="mypy is not installed (optional: this checks the stubs end to end)")
def test_mypy_checks_worker_code_against_the_generated_env(tmp_path):
    config = write_worker(tmp_path / "w", CONFIG, {"src/entry.py": """
        from workers import Request, Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request: Request) -> Response:
                await self.env.KV.put("k", "v", expiration_ttl=60)
                return Response(self.env.MISSING)
    """})
    assert cli_main(["types", str(config)]) == 0
    result = subprocess.run([sys.executable, "-m", "mypy", "src"], cwd=config.parent, capture_output=True, text=True)
    assert 'Unexpected keyword argument "expiration_ttl" for "put" of "KVNamespace"' in result.stdout
    assert '"Env" has no attribute "MISSING"' in result.stdout
