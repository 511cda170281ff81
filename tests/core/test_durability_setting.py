"""The durability setting: ``[pyflare] synchronous`` chooses SQLite's synchronous mode for every state file."""

from __future__ import annotations

from typing import Any

import pytest

from pyflare import Pyflare
from pyflare.config import ConfigError

CONFIG = """
name = "sync"
main = "src/entry.py"
{pyflare}
[[kv_namespaces]]
binding = "KV"
id = "kv"

[[d1_databases]]
binding = "DB"
database_name = "db"
"""

ENTRY = {"src/entry.py": "from workers import Response\ndef on_fetch(request):\n    return Response('ok')\n"}

# PRAGMA synchronous reads back as a number: 1 NORMAL, 2 FULL.
NORMAL, FULL = 1, 2


def modes(mf: Any) -> set[int]:
    """The mode of every open state file (D1's own authorizer refuses PRAGMA, so KV's reports SQLite's view)."""
    kv = mf.env.KV._store.db
    assert {db.synchronous for db in mf.storage._databases.values()} == {("NORMAL", "FULL")[
        kv.connection.execute("PRAGMA synchronous").fetchone()[0] - 1]}
    return {kv.connection.execute("PRAGMA synchronous").fetchone()[0]}


@pytest.mark.parametrize(("table", "expected"), [("", NORMAL), ('[pyflare]\nsynchronous = "full"', FULL),
                                                 ('[pyflare]\nsynchronous = "normal"', NORMAL)])
async def test_config_chooses_the_synchronous_mode(worker_dir, table, expected):
    async with Pyflare(worker_dir(CONFIG.format(pyflare=table), ENTRY)) as mf:
        await mf.env.KV.put("k", "v")
        await mf.env.DB.exec("CREATE TABLE t (x)")
        assert modes(mf) == {expected}


async def test_argument_wins_over_the_config(worker_dir):
    async with Pyflare(worker_dir(CONFIG.format(pyflare=""), ENTRY), synchronous="full") as mf:
        await mf.env.KV.put("k", "v")
        assert modes(mf) == {FULL}


def test_an_unknown_mode_is_a_config_error(worker_dir):
    with pytest.raises(ConfigError, match=r"pyflare\.synchronous"):
        Pyflare(worker_dir(CONFIG.format(pyflare='[pyflare]\nsynchronous = "off"'), ENTRY))
