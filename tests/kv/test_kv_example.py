"""The bundled examples/kv worker: its notes API works as documented."""

from __future__ import annotations

from pathlib import Path

from pyflare import Pyflare

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kv"


async def test_kv_example_notes_api():
    async with Pyflare(EXAMPLE, clock="manual") as mf:
        assert "views today: 1" in (await mf.dispatch_fetch("/")).text
        assert "views today: 2" in (await mf.dispatch_fetch("/")).text
        assert (await mf.dispatch_fetch("/notes/b", method="PUT", content="bee")).status_code == 201
        assert (await mf.dispatch_fetch("/notes/a?ttl=60", method="PUT", content="ay")).status_code == 201
        bad = await mf.dispatch_fetch("/notes/c?ttl=10", method="PUT", content="x")
        assert bad.status_code == 400 and "Expiration TTL must be at least 60" in bad.text

        note = await mf.dispatch_fetch("/notes/b")
        assert note.text == "bee" and note.headers["x-note-size"] == "3" and note.headers["x-note-saved"]
        page = (await mf.dispatch_fetch("/notes?limit=1")).json()
        assert [n["name"] for n in page["notes"]] == ["a"] and page["complete"] is False
        rest = (await mf.dispatch_fetch(f"/notes?cursor={page['cursor']}")).json()
        assert [n["name"] for n in rest["notes"]] == ["b"] and rest["complete"] is True

        mf.clock.advance(60)
        assert (await mf.dispatch_fetch("/notes/a")).status_code == 404
        assert (await mf.dispatch_fetch("/notes/b", method="DELETE")).status_code == 204
        assert (await mf.dispatch_fetch("/notes")).json() == {"notes": [], "complete": True}
