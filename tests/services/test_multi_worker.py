"""Several workers in one pyflare: each its own env, vars and code; one storage root, one clock."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import write_worker

from pyflare import Pyflare
from pyflare.config import ConfigError

ECHO = """
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        hits = int(await self.env.KV.get("hits") or 0) + 1
        await self.env.KV.put("hits", str(hits))
        return Response.json({"who": self.env.WHO, "hits": hits})
"""


def two_workers(tmp_path: Path, *, kv_b: str = "shared") -> tuple[Path, Path]:
    a = write_worker(tmp_path / "a", """
        name = "gateway"
        main = "src/entry.py"
        [vars]
        WHO = "gateway"
        [[kv_namespaces]]
        binding = "KV"
        id = "shared"
    """, {"src/entry.py": ECHO})
    b = write_worker(tmp_path / "b", f"""
        name = "users"
        main = "src/entry.py"
        [vars]
        WHO = "users"
        [[kv_namespaces]]
        binding = "KV"
        id = "{kv_b}"
    """, {"src/entry.py": ECHO})
    return a, b


async def test_first_config_is_served_and_others_are_reachable_by_name(tmp_path: Path) -> None:
    a, b = two_workers(tmp_path)
    async with Pyflare([a, b], clock="manual") as mf:
        assert (await mf.dispatch_fetch("/")).json()["who"] == "gateway"
        users = mf.worker("users")
        assert (await users.dispatch_fetch("/")).json()["who"] == "users"
        assert users.env.WHO == "users" and mf.env.WHO == "gateway"
        assert [w.name for w in mf.workers.values()] == ["gateway", "users"]


async def test_workers_share_one_storage_root_and_one_clock(tmp_path: Path) -> None:
    a, b = two_workers(tmp_path)
    async with Pyflare([a, b], clock="manual") as mf:
        await mf.dispatch_fetch("/")
        # the same namespace id is the same namespace, whichever worker binds it
        assert (await mf.worker("users").dispatch_fetch("/")).json()["hits"] == 2
        assert mf.worker("users").platform.clock is mf.clock
        assert mf.worker("users").platform.storage is mf.storage


async def test_different_namespace_ids_stay_apart(tmp_path: Path) -> None:
    a, b = two_workers(tmp_path, kv_b="own")
    async with Pyflare([a, b], clock="manual") as mf:
        await mf.dispatch_fetch("/")
        assert (await mf.worker("users").dispatch_fetch("/")).json()["hits"] == 1


async def test_state_of_every_worker_survives_a_restart(tmp_path: Path) -> None:
    a, b = two_workers(tmp_path, kv_b="own")
    async with Pyflare([a, b], persist_to=tmp_path / "state") as mf:
        await mf.worker("users").dispatch_fetch("/")
    async with Pyflare([a, b], persist_to=tmp_path / "state") as mf:
        assert (await mf.worker("users").dispatch_fetch("/")).json()["hits"] == 2


async def test_vars_override_only_the_served_worker(tmp_path: Path) -> None:
    a, b = two_workers(tmp_path)
    async with Pyflare([a, b], vars={"WHO": "override"}) as mf:
        assert mf.env.WHO == "override"
        assert mf.worker("users").env.WHO == "users"


async def test_each_worker_reloads_its_own_code(tmp_path: Path) -> None:
    a, b = two_workers(tmp_path)
    async with Pyflare([a, b]) as mf:
        (b.parent / "src" / "entry.py").write_text(
            "from workers import Response\ndef on_fetch(request):\n    return Response('v2')\n")
        mf.worker("users").reload()
        assert (await mf.worker("users").dispatch_fetch("/")).text == "v2"
        assert (await mf.dispatch_fetch("/")).json()["who"] == "gateway"


def test_two_workers_with_one_name_are_refused(tmp_path: Path) -> None:
    a, _ = two_workers(tmp_path)
    copy = write_worker(tmp_path / "c", 'name = "gateway"\nmain = "src/entry.py"\n', {"src/entry.py": ECHO})
    with pytest.raises(ConfigError, match='worker "gateway" is already defined by'):
        Pyflare([a, copy])


async def test_unknown_worker_name_lists_the_known_ones(tmp_path: Path) -> None:
    a, b = two_workers(tmp_path)
    async with Pyflare([a, b]) as mf:
        with pytest.raises(LookupError, match="no worker named 'orders'.*'gateway', 'users'"):
            mf.worker("orders")


def test_pytest_marker_and_ini_take_several_configs(pytester: pytest.Pytester) -> None:
    two_workers(pytester.path)
    pytester.makeini("[pytest]\nasyncio_mode = auto\npyflare_config = a/wrangler.toml b/wrangler.toml\n")
    pytester.makepyfile(test_two="""
        import pytest

        async def test_from_ini(pyflare):
            assert (await pyflare.worker("users").dispatch_fetch("/")).json()["who"] == "users"
            assert (await pyflare.dispatch_fetch("/")).json()["who"] == "gateway"

        @pytest.mark.pyflare(config=["b/wrangler.toml", "a/wrangler.toml"])
        async def test_from_marker(pyflare):
            assert (await pyflare.dispatch_fetch("/")).json()["who"] == "users"
    """)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
