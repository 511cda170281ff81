"""The bundled examples/secrets-store worker signs payloads with the key the CLI stored."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import shutil
from pathlib import Path

from pyflare import Pyflare
from pyflare.cli import main
from pyflare.instance import DEFAULT_PERSIST

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "secrets-store"
STORE = "8f3d0c1b2a7e4f6d9c5b3a1e0f2d4c6b"


async def before_the_key(folder: Path) -> None:
    async with Pyflare(folder, clock="manual", persist_to=folder / DEFAULT_PERSIST) as mf:
        assert "signing key: missing" in (await mf.dispatch_fetch("/")).text
        assert (await mf.dispatch_fetch("/sign", method="POST", content=b"{}")).status_code == 503


async def after_the_key(folder: Path) -> None:
    async with Pyflare(folder, clock="manual", persist_to=folder / DEFAULT_PERSIST) as mf:
        assert "signing key: set" in (await mf.dispatch_fetch("/")).text
        signed = await mf.dispatch_fetch("/sign", method="POST", content=b'{"order": 42}')
        expected = hmac.new(b"k3y", b'{"order": 42}', hashlib.sha256).hexdigest()
        assert signed.json() == {"signature": expected}


def test_the_example_signs_with_the_key_set_by_the_cli(tmp_path: Path) -> None:
    folder = shutil.copytree(EXAMPLE, tmp_path / "example")
    asyncio.run(before_the_key(folder))
    assert main(["secrets-store", "secret", "create", STORE, "--name", "webhook-signing-key", "--value", "k3y",
                 "--scopes", "workers", "-c", str(folder)]) == 0
    asyncio.run(after_the_key(folder))
