"""The examples in docs/testing.md run as written, with either set-up it describes."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
# What the set-up could get wrong: an ini key no installed plugin knows, a plugin's deprecation nag.
STRICT = ("-W", "error::pytest.PytestConfigWarning", "-W", "error::pytest.PytestDeprecationWarning")


def _blocks() -> list[tuple[str, str]]:
    return [(lang, textwrap.dedent(body)) for lang, body in re.findall(r"```(\w+)\n(.*?)```", DOCS.read_text(), re.S)]


def _project(pytester: pytest.Pytester) -> str:
    tests = "\n\n".join(body for lang, body in _blocks() if lang == "python" and "def test_" in body)
    pytester.makefile(".toml", wrangler='main = "src/entry.py"\ncompatibility_date = "2025-11-01"\n'
                                         'compatibility_flags = ["python_workers"]\n'
                                         '[[kv_namespaces]]\nbinding = "KV"\nid = "kv"\n'
                                         '[[workflows]]\nbinding = "ORDERS"\nname = "orders"\nclass_name = "Orders"\n')
    entry = pytester.mkdir("src") / "entry.py"
    entry.write_text(
        "from urllib.parse import parse_qs, urlparse\n"
        "from workers import Response, WorkerEntrypoint\n"
        "class Default(WorkerEntrypoint):\n"
        "    async def fetch(self, request):\n"
        "        name = parse_qs(urlparse(request.url).query).get('name', ['world'])[0]\n"
        "        return Response(f'Hello, {name}!')\n"
        # the workflow of the idle() example: its step fails once, then succeeds after a 5-minute retry delay
        "from workers import WorkflowEntrypoint\n"
        "TRIES = []\n"
        "class Orders(WorkflowEntrypoint):\n"
        "    async def run(self, event, step):\n"
        "        @step.do('charge', config={'retries': {'limit': 2, 'delay': '5 minutes'}})\n"
        "        async def charge():\n"
        "            TRIES.append(1)\n"
        "            if len(TRIES) == 1:\n"
        "                raise ConnectionError('card network busy')\n"
        "            return event['payload']['amount']\n"
        "        return await charge()\n"
    )
    pytester.makepyfile(test_docs=tests)
    return tests


@pytest.mark.parametrize("async_plugin", ["anyio only", "anyio beside pytest-asyncio"])
def test_the_examples_pass_with_the_anyio_setup_without_a_warning(pytester, async_plugin):
    blocks = _blocks()
    pyproject = next(body for lang, body in blocks if lang == "toml" and "[tool.pytest.ini_options]" in body)
    conftest = next(body for lang, body in blocks if lang == "python" and "def anyio_backend" in body)
    tests = _project(pytester)
    pytester.makefile(".toml", pyproject=pyproject)
    pytester.makeconftest(conftest)
    if async_plugin == "anyio only":  # an unknown ini key would be a PytestConfigWarning, an error with -W
        result = pytester.runpytest("-q", "-p", "no:cacheprovider", "-p", "no:asyncio", *STRICT)
    else:  # in a subprocess, where a warning pytest-asyncio gives at configure time shows as a user sees it
        result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", *STRICT)
    result.assert_outcomes(passed=len(re.findall(r"^\s*async def test_", tests, re.M)))
    output = result.stdout.str() + result.stderr.str()
    assert "PytestConfigWarning" not in output and "PytestDeprecationWarning" not in output


def test_the_examples_pass_with_pytest_asyncio_auto_mode(pytester):
    ini = next(body for lang, body in _blocks() if lang == "ini")
    tests = _project(pytester)
    pytester.makefile(".ini", pytest=ini)
    result = pytester.runpytest("-q", "-p", "no:cacheprovider", *STRICT)
    result.assert_outcomes(passed=len(re.findall(r"^\s*async def test_", tests, re.M)))
