"""The ``js`` module is the global scope of a Python Worker: every name of the docs table resolves, names load
on first use (crypto's library only when crypto is used), and a global pyflare cannot provide says so."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import pyflare.workers.js as js
from pyflare.kernel.jserrors import DOMException

DOCS = Path(__file__).parents[2] / "docs" / "python-workers.md"


def _table_rows() -> dict[str, str]:
    """name -> status of each row of the js globals table in docs/python-workers.md."""
    text = DOCS.read_text()
    section = text.split("### Every global of `js`", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\| (`[^|]+`) \| (full|partial|not available)", line)
        if match:
            for name in re.findall(r"`([^`]+)`", match.group(1)):
                rows[name] = match.group(2)
    return rows


def test_every_global_in_the_docs_table_is_in_the_js_module_and_the_other_way_round():
    rows = _table_rows()
    offered = {name for name, status in rows.items() if status != "not available"}
    assert offered == set(js.__all__)
    assert {name for name, status in rows.items() if status == "not available"} == set(js.UNAVAILABLE)


def test_the_docs_table_counts_match_its_rows():
    rows = _table_rows()
    text = DOCS.read_text()
    counts = re.search(r"(\d+) globals: (\d+) full, (\d+) partial, (\d+) not available", text)
    assert counts, "the table's counts line is missing"
    total, full, partial, missing = map(int, counts.groups())
    statuses = list(rows.values())
    assert (total, full, partial, missing) == (len(rows), statuses.count("full"), statuses.count("partial"),
                                               statuses.count("not available"))


@pytest.mark.parametrize("name", sorted(js.__all__))
def test_each_offered_global_resolves(name):
    assert getattr(js, name) is not None or name in ("undefined", "origin")


def test_a_global_pyflare_cannot_offer_still_imports_for_feature_detection():
    from pyflare.workers.js import WebAssembly

    assert "not available in pyflare" in repr(WebAssembly)


def test_using_an_unavailable_global_names_it_and_says_why():
    with pytest.raises(DOMException, match=r"js\.WebAssembly is not available in pyflare: ") as caught:
        js.WebAssembly.instantiate(b"")
    assert caught.value.name == "NotSupportedError"
    assert hasattr(js, "Intl")  # feature detection sees it, as on Cloudflare


def test_an_unknown_name_is_an_attribute_error_pointing_at_the_table():
    with pytest.raises(AttributeError, match="no global of that name in a Python Worker"):
        js.NoSuchGlobal  # noqa: B018


def test_names_load_on_first_use_so_crypto_does_not_import_its_library_until_used():
    code = (
        "import sys\n"
        "from pyflare.workers.js import Response, URL, console\n"
        "assert 'cryptography' not in sys.modules, 'Response import loaded cryptography'\n"
        "assert 'pyflare.workers.js._crypto' not in sys.modules\n"
        "from pyflare.workers.js import crypto\n"
        "crypto.randomUUID()\n"
        "assert 'cryptography' not in sys.modules, 'randomUUID loaded cryptography'\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                            env={"PYTHONPATH": str(Path(js.__file__).parents[3])})
    assert result.stdout.strip() == "ok", result.stderr
