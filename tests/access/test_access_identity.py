"""The Cloudflare Access identity a worker sees (ctx.access), configured locally with [access.dev]."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import write_worker

from pyflare import Pyflare
from pyflare.config import ConfigError

WORKER = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        access = self.ctx.access
        if access is None:
            return Response("no Access application in front of this worker", status=401)
        identity = await access.getIdentity()
        if identity is None:
            return Response.json({"aud": access.aud, "service_token": True})
        return Response.json({"aud": access.aud, "email": identity.email, "groups": identity["groups"]})

    async def scheduled(self, controller, env, ctx):
        assert ctx.access is None  # only requests come through Access
"""

LEGACY = """
from workers import Response

async def on_fetch(request, env, ctx):
    return Response(ctx.access.aud if ctx.access else "none")
"""

ACCESS = """
[access.dev]
aud = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2"
identity = { email = "ann@example.com", groups = ["admins"], name = "Ann" }
"""


def config_for(tmp_path: Path, extra: str, worker: str = WORKER) -> Path:
    return write_worker(tmp_path / "w", 'name = "app"\nmain = "src/entry.py"\n' + extra, {"src/entry.py": worker})


async def test_a_request_sees_the_configured_access_identity(tmp_path: Path) -> None:
    async with Pyflare(config_for(tmp_path, ACCESS), clock="manual") as mf:
        answer = (await mf.dispatch_fetch("/")).json()
        assert answer == {"aud": "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2",
                          "email": "ann@example.com", "groups": ["admins"]}
        assert (await mf.scheduled()).outcome == "ok"


async def test_without_an_identity_it_is_a_service_token(tmp_path: Path) -> None:
    async with Pyflare(config_for(tmp_path, '[access.dev]\naud = "abc"\n'), clock="manual") as mf:
        assert (await mf.dispatch_fetch("/")).json() == {"aud": "abc", "service_token": True}


async def test_without_access_config_ctx_access_is_none(tmp_path: Path) -> None:
    async with Pyflare(config_for(tmp_path, ""), clock="manual") as mf:
        assert (await mf.dispatch_fetch("/")).status_code == 401
    async with Pyflare(config_for(tmp_path, ACCESS, LEGACY), clock="manual") as mf:  # top-level handlers too
        assert (await mf.dispatch_fetch("/")).text.startswith("4714c1")


def test_the_audience_is_required(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="aud"):
        Pyflare(config_for(tmp_path, '[access.dev]\nidentity = { email = "a@b.c" }\n'))


async def test_environments_inherit_access(tmp_path: Path) -> None:
    config = config_for(tmp_path, ACCESS + '\n[env.staging]\nvars = { X = "1" }\n')
    async with Pyflare(config, clock="manual", environment="staging") as mf:
        assert (await mf.dispatch_fetch("/")).json()["email"] == "ann@example.com"  # access is inheritable
