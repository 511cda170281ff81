"""The test in docs/queues.md runs as written against examples/queues."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_queues_docs_test_passes_against_the_example(pytester):
    docs = (ROOT / "docs" / "queues.md").read_text()
    section = docs[docs.index("## Test"):]
    snippet = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert "examples/queues" in section[:section.index("```python")]
    pytester.makeini(f"""
        [pytest]
        asyncio_mode = auto
        asyncio_default_fixture_loop_scope = function
        pyflare_config = {ROOT / "examples" / "queues" / "wrangler.toml"}
    """)
    pytester.makepyfile(test_snippet=snippet)
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
