"""README's quick start works as written: init, a binding, a test of it."""

from __future__ import annotations

import re
from pathlib import Path

from pyflare.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_starts_with_the_two_commands():
    first_block = re.search(r"```bash\n(.*?)```", README.read_text(), re.S).group(1)
    assert "python3 -m pip install -e . && python3 -m pyflare dev examples/hello" in first_block
    assert 'python3 -m pip install -e ".[dev]" && python3 -m pytest -q' in first_block


def test_quick_start_project_with_a_binding_passes_its_test(pytester):
    text = README.read_text()
    section = text[text.index("## Quick start"):text.index("## Three ways to use it")]
    blocks = dict(re.findall(r"```(toml|python)\n(.*?)```", section, re.S))  # the binding, then code
    entry_code = next(body for lang, body in re.findall(r"```(python)\n(.*?)```", section, re.S)
                      if "class Default" in body)
    test_code = next(body for lang, body in re.findall(r"```(python)\n(.*?)```", section, re.S)
                     if "async def test_" in body)
    assert main(["init", str(pytester.path)]) == 0
    config = pytester.path / "wrangler.toml"
    config.write_text(config.read_text() + "\n" + blocks["toml"])
    (pytester.path / "src" / "entry.py").write_text(entry_code)
    (pytester.path / "tests" / "test_entry.py").write_text(test_code)
    # On anyio's plugin alone (no pytest-asyncio), with the ini pyflare init wrote: no config warning.
    result = pytester.runpytest("-q", "-p", "no:cacheprovider", "-p", "no:asyncio",
                                "-W", "error::pytest.PytestConfigWarning")
    result.assert_outcomes(passed=1, warnings=0)
