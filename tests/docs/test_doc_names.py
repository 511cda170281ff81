"""The docs name only what the code has: every flag of a ``pyflare`` command they show, every config key and
table, every ``Pyflare(...)`` / ``@pytest.mark.pyflare(...)`` option, every pytest ini option, every attribute
of a running ``Pyflare`` they use and everything they import from pyflare."""

from __future__ import annotations

import argparse
import ast
import functools
import importlib
import inspect
import re
import shlex
import textwrap
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel
from tests.docs.blocks import PAGES, SHELL, blocks

from pyflare import Pyflare
from pyflare.cli import build_parser
from pyflare.config.bindings import KIND_NAMES
from pyflare.config.models import KNOWN_IGNORED, NOT_EMULATED_SETTINGS, WorkerConfig

SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
FLAG = re.compile(r"^(--?[A-Za-z][\w-]*)")


def prose(page: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of the page outside fenced blocks."""
    inside = False
    for number, line in enumerate(page.read_text().splitlines(), 1):
        if line.lstrip().startswith("```"):
            inside = not inside
            continue
        if not inside:
            yield number, line


def spans(page: Path) -> Iterator[tuple[int, str]]:
    for number, line in prose(page):
        for match in SPAN.finditer(line):
            yield number, match.group(1).strip()


# -- the pyflare command -------------------------------------------------------------------------
def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _flags(parser: argparse.ArgumentParser, *, deep: bool) -> set[str]:
    found = set(parser._option_string_actions)
    if deep:
        for sub in _subcommands(parser).values():
            found |= _flags(sub, deep=True)
    return found


@functools.cache
def pyflare_parser() -> argparse.ArgumentParser:
    return build_parser()


def unknown_flags(command: str) -> list[str]:
    """Flags in ``pyflare ...`` that the command it reaches does not take."""
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        words = command.split()
    parser, problems, exact = pyflare_parser(), [], True
    for word in words[1:]:
        if word in ("&&", "|", ";", ">", "2>&1", "&"):
            break
        flag = FLAG.match(word)
        if flag:
            name = flag.group(1)
            if name not in _flags(parser, deep=not exact):
                problems.append(name)
            continue
        subcommands = _subcommands(parser)
        choice = next((c for c in word.split("|") if c in subcommands), None)
        if choice is not None:
            parser = subcommands[choice]
        elif subcommands:  # a placeholder where a subcommand goes: any of theirs may follow
            exact = False
    return problems


def pyflare_commands(page: Path) -> Iterator[tuple[int, str]]:
    """Every ``pyflare ...`` command the page shows: in inline code, and in its shell blocks."""
    for number, text in spans(page):
        for part in re.split(r"&&|;", text):
            part = re.sub(r"^\s*python3? -m ", "", part.strip())
            if part.startswith("pyflare "):
                yield number, part
    for block in blocks(page):
        if block.lang in SHELL:
            for offset, line in enumerate(block.body.splitlines(), 1):
                for part in re.split(r"&&|;", line):
                    part = re.sub(r"^\s*(\w+=\S+\s+)*(python3? -m )?", "", part.strip())
                    if part.startswith("pyflare "):
                        yield block.line + offset, part


def test_every_pyflare_command_in_the_docs_uses_flags_the_command_has():
    problems = [f"{page.name}:{line}: {command!r}: no such flag {', '.join(flags)}"
                for page in PAGES for line, command in pyflare_commands(page)
                if (flags := unknown_flags(command))]
    assert not problems, "\n".join(problems)


def test_every_flag_in_cli_md_tables_belongs_to_its_command():
    page = Path(PAGES[0]).parent / "docs" / "cli.md"
    parser, problems = None, []
    for number, line in prose(page):
        heading = re.match(r"^#+ `(pyflare [^`\[]+)", line)
        if heading:
            parser = pyflare_parser()
            for word in heading.group(1).split()[1:]:
                parser = _subcommands(parser).get(word.split("|")[0], parser)
            continue
        if parser is None or not line.startswith("|"):
            continue
        first_cell = line.split("|")[1]
        for span in SPAN.findall(first_cell):
            for option in span.split("/"):
                flag = FLAG.match(option.strip())
                if flag and flag.group(1) not in _flags(parser, deep=False):
                    problems.append(f"cli.md:{number}: {flag.group(1)} is not a flag of {parser.prog}")
    assert not problems, "\n".join(problems)


def test_the_checks_catch_a_flag_the_code_lacks():
    assert unknown_flags("pyflare dev --port 0 --debug") == []
    assert unknown_flags("pyflare dev --no-such-flag") == ["--no-such-flag"]
    assert unknown_flags("pyflare kv key put k v --binding KV") == []
    assert unknown_flags("pyflare kv key get --nope") == ["--nope"]


# -- configuration -------------------------------------------------------------------------------
def _model_of(annotation: typing.Any) -> type[BaseModel] | None:
    """The model a field holds (``Build``, ``list[KVNamespace]``, ``Assets | None``...), or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        inner = _model_of(argument)
        if inner is not None:
            return inner
    return None


def config_problem(section: str, key: str | None) -> str | None:
    """Why ``[section] key`` is not something the config models have (None: it is)."""
    parts = section.split(".")
    if parts[0] == "env":
        parts = parts[2:]  # [env.NAME.vars] is [vars] of an environment
        if not parts:
            return None
    known_elsewhere = set(KNOWN_IGNORED) | set(NOT_EMULATED_SETTINGS) | {k.split(".")[0] for k in KIND_NAMES}
    model: type[BaseModel] | None = WorkerConfig
    for depth, part in enumerate(parts):
        if model is None:
            return None  # a free-form table (vars...): any key goes
        if part not in model.model_fields:
            if depth == 0 and part in known_elsewhere:
                return None  # accepted without being modelled (wrangler keys pyflare ignores, bindings it lists)
            return f"no [{'.'.join(parts[:depth + 1])}] in the config models"
        model = _model_of(model.model_fields[part].annotation)
    if key is not None and model is not None and key not in model.model_fields:
        return f"[{section}] has no key {key!r}"
    return None


# `[table]`, `[[table]]`, `[table] key = ...` (keys are snake_case; `[pyflare] GET /` is log output)
CONFIG_SPAN = re.compile(r"^\[\[?([A-Za-z_][\w.]*)\]\]?(?:\s+([a-z_][a-z0-9_]*)\b)?")
PYPROJECT_TABLES = {"project", "tool", "dependency-groups", "build-system"}


def test_every_config_table_and_key_the_docs_name_exists():
    problems = []
    for page in PAGES:
        for number, text in spans(page):
            match = CONFIG_SPAN.match(text)
            if match and not match.group(1).isupper() and match.group(1).split(".")[0] not in PYPROJECT_TABLES:
                problem = config_problem(match.group(1), match.group(2))
                if problem:
                    problems.append(f"{page.name}:{number}: `{text}`: {problem}")
    assert not problems, "\n".join(problems)


def test_the_config_check_catches_a_key_the_code_lacks():
    assert config_problem("pyflare", "cache") is None and config_problem("build", "watch_dir") is None
    assert config_problem("queues.consumers", "max_retries") is None
    assert config_problem("pyflare", "turbo") == "[pyflare] has no key 'turbo'"
    assert config_problem("kv_namespace", None) == "no [kv_namespace] in the config models"


# -- Python names --------------------------------------------------------------------------------
PYFLARE_OPTIONS = set(inspect.signature(Pyflare.__init__).parameters) - {"self"}
MARKER_ONLY = {"config"}  # the marker's config= is Pyflare's first argument


def _python_sources(page: Path) -> Iterator[tuple[int, str]]:
    for block in blocks(page):
        if block.lang == "python":
            yield block.line, block.body
    yield from spans(page)


def _calls(source: str) -> Iterator[ast.Call]:
    """``Pyflare(...)`` and ``pytest.mark.pyflare(...)`` calls in ``source`` (a decorator line is completed
    with a function so it parses; what does not parse is skipped)."""
    text = source.strip()
    if text.startswith("@"):
        text += "\ndef f(): ..."
    try:
        tree = ast.parse(textwrap.dedent(text))
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in ("Pyflare", "pyflare"):
                yield node


def test_every_pyflare_option_the_docs_pass_exists():
    problems = []
    for page in PAGES:
        for number, source in _python_sources(page):
            for call in _calls(source):
                for keyword in call.keywords:
                    if keyword.arg is not None and keyword.arg not in PYFLARE_OPTIONS | MARKER_ONLY:
                        problems.append(f"{page.name}:{number}: {keyword.arg}= is not an option of Pyflare()")
    assert not problems, "\n".join(problems)


def test_every_pytest_ini_option_and_fixture_the_docs_name_exists(pytestconfig: pytest.Config):
    from pyflare.testing import plugin

    problems = []
    for page in PAGES:
        for number, text in spans(page):
            name = re.match(r"^(pyflare_\w+)", text)
            if name and name.group(1) not in pytestconfig._parser._inidict and not hasattr(plugin, name.group(1)):
                problems.append(f"{page.name}:{number}: {name.group(1)} is neither an ini option nor a fixture")
    assert not problems, "\n".join(problems)


def test_everything_the_docs_import_from_pyflare_exists():
    problems = []
    for page in PAGES:
        for block in blocks(page):
            if block.lang != "python":
                continue
            try:
                tree = ast.parse(block.body)
            except SyntaxError:
                continue  # a fragment (an expression with ...): its imports are checked where whole
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pyflare":
                    module = importlib.import_module(node.module)  # type: ignore[arg-type]
                    for alias in node.names:
                        if not hasattr(module, alias.name):
                            problems.append(f"{block}: {node.module} has no {alias.name}")
    assert not problems, "\n".join(problems)


async def test_every_attribute_of_a_running_pyflare_the_docs_use_exists(worker_dir):
    config = worker_dir('main = "src/entry.py"\n', {"src/entry.py": "def on_fetch(request):\n    pass\n"})
    async with Pyflare(config) as mf:
        problems = []
        for page in PAGES:
            for number, source in _python_sources(page):
                for name in re.findall(r"(?<![\w.\"'])(?:mf|pyflare)\.([a-z_]\w*)", source):
                    if not hasattr(mf, name) and importlib.util.find_spec(f"pyflare.{name}") is None:
                        problems.append(f"{page.name}:{number}: Pyflare has no attribute {name!r}")
    assert not problems, "\n".join(problems)
