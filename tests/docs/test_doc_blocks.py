"""Every fenced Python, TOML, ini and shell block in README.md and docs/*.md is run by a test or marked as an
illustration (tests/docs/blocks.py says how; CONTRIBUTING.md for writers). Unmarked blocks run here:
TOML loads as config (no error, no unknown key), a Python module loads as the worker of its page's config,
and a Python test passes against that worker."""

from __future__ import annotations

import ast
import configparser
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.docs.blocks import PAGES, ROOT, SHELL, Block, all_blocks, blocks

from pyflare import Pyflare
from pyflare.config import load_config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BASE = {"name": "docs", "main": "src/entry.py", "compatibility_date": "2025-11-01",
        "compatibility_flags": ["python_workers"]}
PYPROJECT_TABLES = {"tool", "project", "dependency-groups", "build-system"}
WORKER_CLASSES = {"WorkerEntrypoint", "DurableObject", "WorkflowEntrypoint"}
STUB = "from workers import Response, WorkerEntrypoint\n\nclass Default(WorkerEntrypoint):\n    async def fetch(self, request):\n        return Response('ok')\n"
ANYIO = "import pytest\n\n@pytest.fixture\ndef anyio_backend():\n    return 'asyncio'\n"


def is_wrangler(block: Block) -> bool:
    return block.lang == "toml" and not PYPROJECT_TABLES & set(tomllib.loads(block.body))


def is_module(block: Block) -> bool:
    """A whole worker module: it compiles, and defines a worker class or a handler at the top level."""
    try:
        compile(block.body, str(block), "exec")  # a fragment with a top-level await does not
        tree = ast.parse(block.body)
    except SyntaxError:
        return False
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(getattr(b, "id", None) in WORKER_CLASSES for b in node.bases):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("on_"):
            return True
    return False


def is_test(block: Block) -> bool:
    try:
        tree = ast.parse(block.body)
    except SyntaxError:
        return False
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test_") for n in tree.body)


def runs_here(block: Block) -> bool:
    if block.lang in ("toml", "ini"):
        return True
    if block.lang == "python":
        return is_module(block) or is_test(block)
    return False  # shell blocks are run by a named test or are illustrations


UNMARKED = [b for b in all_blocks() if b.marker is None]


def test_every_block_is_run_by_a_test_or_marked_as_an_illustration():
    problems = []
    for block in all_blocks():
        if block.marker == "tested":
            test = ROOT / block.test  # type: ignore[operator]
            if not test.is_file():
                problems.append(f"{block}: <!-- tested: {block.test} --> names no file")
            elif block.page.name not in test.read_text():
                problems.append(f"{block}: {block.test} does not read {block.page.name}")
        elif block.marker is None and not runs_here(block):
            problems.append(f"{block}: not a whole module, test, or config: mark it <!-- illustration --> "
                            "or <!-- tested: tests/... --> (see CONTRIBUTING.md)")
    assert not problems, "\n".join(problems)


def write_project(folder: Path, page: Path, module: str | None = None, before: int | None = None) -> Path:
    """The page's config (its wrangler TOML blocks over a base) and worker: ``module``, else the page's last
    module block above line ``before`` (the worker a test block was written for), else its first."""
    config: dict[str, Any] = dict(BASE)
    page_blocks = [b for b in blocks(page) if b.marker is None]
    for block in page_blocks:
        if is_wrangler(block):
            for key, value in tomllib.loads(block.body).items():
                if isinstance(value, list) and isinstance(config.get(key), list):
                    config[key] = config[key] + value
                elif isinstance(value, dict) and isinstance(config.get(key), dict):
                    config[key] = {**config[key], **value}
                else:
                    config[key] = value
    if module is None:
        modules = [b for b in page_blocks if b.lang == "python" and is_module(b)]
        above = [b for b in modules if before is not None and b.line < before]
        module = (above or modules)[-1 if above else 0].body if modules else STUB
    # Durable Object bindings to classes this module does not define belong to another block's worker.
    bindings = (config.get("durable_objects") or {}).get("bindings")
    if bindings:
        config["durable_objects"] = {**config["durable_objects"], "bindings": [
            b for b in bindings if re.search(rf"^class {re.escape(b.get('class_name', ''))}\b", module, re.M)]}
    main = folder / config["main"]
    main.parent.mkdir(parents=True, exist_ok=True)
    main.write_text(module)
    if isinstance(config.get("assets"), dict) and config["assets"].get("directory"):
        (folder / config["assets"]["directory"]).mkdir(parents=True, exist_ok=True)
    path = folder / "wrangler.json"
    path.write_text(json.dumps(config))
    return path


@pytest.mark.parametrize("block", [b for b in UNMARKED if b.lang == "toml"], ids=str)
def test_toml_blocks_load_as_config_without_unknown_keys(block: Block, tmp_path: Path):
    data = tomllib.loads(block.body)
    if not is_wrangler(block):
        return  # a pyproject.toml fragment: it parses (pytest's and uv's own options are theirs to check)
    config = write_project(tmp_path, block.page)
    config.write_text(json.dumps({**json.loads(config.read_text()), **data}))
    loaded = load_config(config)
    unknown = [w for w in loaded.warnings if "unexpected field" in w]
    assert not unknown, unknown


@pytest.mark.parametrize("block", [b for b in UNMARKED if b.lang == "ini"], ids=str)
def test_ini_blocks_parse(block: Block):
    configparser.ConfigParser().read_string(block.body)


@pytest.mark.parametrize("block", [b for b in UNMARKED if b.lang == "python" and is_module(b)], ids=str)
async def test_worker_modules_load_with_their_pages_config(block: Block, tmp_path: Path):
    for node in ast.walk(ast.parse(block.body)):  # a page about FastAPI needs FastAPI
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
        for name in names:
            top = name.split(".")[0]
            if top not in ("workers", "js", "pyodide", "asgi") and importlib.util.find_spec(top) is None:
                pytest.skip(f"{block} imports {top}, which is not installed here")
    config = write_project(tmp_path, block.page, module=block.body)
    async with Pyflare(config) as mf:
        assert mf.workers  # started: the module imported and its classes match the config


PAGES_WITH_TESTS = sorted({b.page for b in UNMARKED if b.lang == "python" and is_test(b)})


@pytest.mark.parametrize("page", PAGES_WITH_TESTS, ids=lambda p: p.name)
def test_test_blocks_pass_against_their_pages_worker(page: Path, pytester: pytest.Pytester,
                                                    monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PYTHONBREAKPOINT", "0")  # docs/debugging.md's worker calls breakpoint()
    test_blocks = [b for b in blocks(page) if b.marker is None and b.lang == "python" and is_test(b)]
    tests = [b.body for b in test_blocks]
    write_project(pytester.path, page, before=test_blocks[0].line)
    pytester.makefile(".ini", pytest="[pytest]\nanyio_mode = auto\n")
    pytester.makeconftest(ANYIO)
    for index, body in enumerate(tests):
        pytester.makepyfile(**{f"test_doc_{page.stem.replace('-', '_')}_{index}": body})
    result = pytester.runpytest("-q", "-p", "no:cacheprovider", "-p", "no:asyncio")
    count = sum(len([n for n in ast.parse(body).body if getattr(n, "name", "").startswith("test_")]) for body in tests)
    result.assert_outcomes(passed=count)


def test_every_page_is_checked():
    assert {p.name for p in PAGES} >= {"README.md", "testing.md", "ci.md", "configuration.md"}
    assert SHELL  # shell blocks are always marked
