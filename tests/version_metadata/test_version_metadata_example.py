"""The bundled examples/version-metadata worker answers with the running version."""

from __future__ import annotations

from pathlib import Path

from pyflare import Pyflare

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "version-metadata"


async def test_the_example_reports_its_version_in_body_and_header():
    async with Pyflare(EXAMPLE, clock="manual") as mf:
        response = await mf.dispatch_fetch("/")
        body = response.json()
        assert response.headers["x-worker-version"] == body["id"] == mf.env["CF_VERSION_METADATA"].id
        assert body["tag"] == "" and body["timestamp"].endswith("Z")
