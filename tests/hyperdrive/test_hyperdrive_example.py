"""The bundled examples/hyperdrive guestbook against a real local Postgres, chosen by the environment variable."""

from __future__ import annotations

from pathlib import Path

from pyflare import Pyflare

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hyperdrive"


async def test_the_guestbook_stores_entries_in_postgres(postgres, monkeypatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_DB", postgres.url)
    async with Pyflare(EXAMPLE, clock="manual") as mf:
        assert f"database: testuser@127.0.0.1:{postgres.port}/testdb" in (await mf.dispatch_fetch("/")).text
        created = await mf.dispatch_fetch("/entries", method="POST", content="Hello from pyflare")
        assert created.status_code == 201
        assert (await mf.dispatch_fetch("/entries", method="POST", content="  ")).status_code == 400
        entries = (await mf.dispatch_fetch("/entries")).json()
        assert [e["message"] for e in entries][:1] == ["Hello from pyflare"]
