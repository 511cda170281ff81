"""The examples in docs/testing.md run as written, with the set-up it describes."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "testing.md"


def test_the_testing_docs_examples_pass_with_the_documented_setup(pytester):
    text = DOCS.read_text()
    blocks = [(lang, textwrap.dedent(body)) for lang, body in re.findall(r"```(\w+)\n(.*?)```", text, re.S)]
    ini = next(body for lang, body in blocks if lang == "ini")
    tests = "\n\n".join(body for lang, body in blocks if lang == "python" and "def test_" in body)
    pytester.makefile(".ini", pytest=ini)
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
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=len(re.findall(r"^\s*async def test_", tests, re.M)))
