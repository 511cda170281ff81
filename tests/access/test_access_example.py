"""The bundled examples/access worker: the identity from [access.dev] decides who reaches /admin."""

from __future__ import annotations

import shutil
from pathlib import Path

from pyflare import Pyflare

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "access"


async def test_admins_reach_the_admin_page_others_do_not(tmp_path: Path):
    async with Pyflare(EXAMPLE, clock="manual") as mf:
        assert "Signed in: ann@example.com (groups: admins, staff)" in (await mf.dispatch_fetch("/")).text
        assert (await mf.dispatch_fetch("/admin")).text == "Welcome to the admin page, ann@example.com.\n"
    folder = shutil.copytree(EXAMPLE, tmp_path / "access")
    config = folder / "wrangler.toml"
    config.write_text(config.read_text().replace('groups = ["admins", "staff"]', 'groups = ["staff"]'))
    async with Pyflare(folder, clock="manual") as mf:
        denied = await mf.dispatch_fetch("/admin")
        assert (denied.status_code, denied.text) == (403, "ann@example.com is not an admin")
