"""Every bundled example loads and answers its front page, as `pyflare dev examples/NAME` would serve it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyflare import Pyflare

EXAMPLES = sorted(p.parent for p in (Path(__file__).parent.parent / "examples").glob("*/wrangler.*"))


@pytest.mark.parametrize("folder", EXAMPLES, ids=[p.name for p in EXAMPLES])
async def test_example_serves_its_front_page(folder: Path):
    async with Pyflare(folder, clock="manual") as mf:
        response = await mf.dispatch_fetch("/")
        assert response.status_code < 500, response.text


async def test_hello_example_uses_vars_secrets_and_scheduled():
    folder = Path(__file__).parent.parent / "examples" / "hello"
    async with Pyflare(folder, clock="manual") as mf:
        assert (await mf.dispatch_fetch("/?name=Ada")).text == "Hello, Ada!"
        assert (await mf.dispatch_fetch("/json")).json() == {"greeting": "Hello", "has_token": True, "colo": "LOCAL"}
        assert (await mf.scheduled(cron="*/15 * * * *")).outcome == "ok"
