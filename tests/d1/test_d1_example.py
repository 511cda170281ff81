"""The examples/d1 notes API works once its migrations are applied, as docs/d1.md shows."""

from __future__ import annotations

from pathlib import Path

from pyflare import Pyflare
from pyflare.testing.d1 import apply_d1_migrations

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "d1"


async def test_example_asks_for_migrations_before_they_are_applied():
    async with Pyflare(EXAMPLE, clock="manual") as mf:
        response = await mf.dispatch_fetch("/notes")
        assert response.status_code == 503
        assert "pyflare d1 migrations apply DB" in response.json()["hint"]


async def test_example_notes_api_after_migrations():
    async with Pyflare(EXAMPLE, clock="manual") as mf:
        assert await apply_d1_migrations(mf, "DB") == ["0000_create_notes.sql", "0001_add_tags.sql"]
        created = await mf.dispatch_fetch("/notes", method="POST", json={"body": "hello", "tags": ["a", "b"]})
        assert created.status_code == 201
        await mf.dispatch_fetch("/notes", method="POST", json={"body": "second"})
        tagged = (await mf.dispatch_fetch("/notes?tag=a")).json()
        assert [(n["body"], n["tags"]) for n in tagged] == [("hello", ["a", "b"])]
        assert (await mf.dispatch_fetch("/notes/1", method="DELETE")).json() == {"deleted": True}
        assert (await mf.dispatch_fetch("/notes/1")).status_code == 404
        assert await mf.env.DB.prepare("SELECT count(*) AS n FROM tags").first("n") == 0


def test_the_docs_test_passes_against_the_example(pytester):
    """The test in docs/d1.md ("Test with it"), run with pytest against examples/d1."""
    from tests.docs.blocks import ROOT, blocks

    [block] = [b for b in blocks(ROOT / "docs" / "d1.md") if b.lang == "python" and "async def test_" in b.body]
    pytester.makeini(f"[pytest]\nanyio_mode = auto\npyflare_config = {EXAMPLE / 'wrangler.toml'}\n")
    pytester.makeconftest("import pytest\n\n@pytest.fixture\ndef anyio_backend():\n    return 'asyncio'\n")
    pytester.makepyfile(test_d1_docs=block.body)
    pytester.runpytest("-q", "-p", "no:cacheprovider", "-p", "no:asyncio").assert_outcomes(passed=1)
