"""The fenced code blocks of README.md and docs/*.md, with the marker that says how each is checked.

A block is preceded (on the line just before its fence) by one of:

- ``<!-- illustration -->``: shown, not run (a fragment, program output, a long-running command, a CI file);
- ``<!-- tested: tests/path/test_x.py -->``: run by that test, which reads it from this page;
- nothing: run by tests/docs/test_doc_blocks.py according to its language (TOML is loaded as config,
  Python modules are loaded as the worker of the page's config, Python tests are run against it).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CHECKED = {"python", "toml", "ini", "bash", "sh", "shell", "console"}
SHELL = {"bash", "sh", "shell", "console"}

_FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
_MARKER = re.compile(r"<!--\s*(illustration|tested:\s*(?P<test>\S+))\s*-->")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    lang: str
    body: str
    marker: str | None  # "illustration", "tested", or None
    test: str | None = None  # the test file of a "tested" marker

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    def __str__(self) -> str:
        return f"{self.where} ({self.lang})"


def blocks(page: Path) -> list[Block]:
    text = page.read_text()
    found = []
    for match in _FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = _MARKER.search(before)
        kind = None if marker is None else ("tested" if marker.group("test") else "illustration")
        found.append(Block(page, line, match.group("lang"), textwrap.dedent(match.group("body")), kind,
                           marker.group("test") if marker else None))
    return found


def all_blocks(langs: set[str] = CHECKED) -> list[Block]:
    return [block for page in PAGES for block in blocks(page) if block.lang in langs]
