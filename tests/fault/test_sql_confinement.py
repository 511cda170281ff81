"""No SQL surface reads or writes a file outside the state folder: ATTACH, VACUUM (INTO), load_extension and
file pragmas are refused by the one authorizer every surface shares (pyflare.storage.authorizer), on the D1
binding, the explorer's D1 and Durable Object consoles, ``pyflare d1 execute`` and ``ctx.storage.sql``."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from pyflare import Pyflare
from pyflare.cli import main

CONFIG = """
name = "sql"
main = "src/entry.py"
compatibility_date = "2025-11-01"

[[d1_databases]]
binding = "DB"
database_name = "db"

[[durable_objects.bindings]]
name = "OBJ"
class_name = "Obj"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Obj"]
"""

ENTRY = """
from workers import DurableObject, Response, WorkerEntrypoint

class Obj(DurableObject):
    async def put(self, key, value):
        await self.ctx.storage.put(key, value)

    def run(self, sql):
        try:
            return {"rows": [list(row.values()) for row in self.ctx.storage.sql.exec(sql)]}
        except Exception as exc:
            return {"error": str(exc)}

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")
"""

API = "/cdn-cgi/local/explorer/api"
# SQLite's words for an authorizer's refusal; and for VACUUM (INTO), refused before it attaches anything because
# workerd runs a worker's statements inside a transaction.
REFUSED = re.compile("not authorized|authorization denied|cannot VACUUM from within a transaction")


def attacks(outside: Path) -> list[str]:
    return [
        f"ATTACH DATABASE '{outside / 'victim.sqlite'}' AS v",
        f"VACUUM INTO '{outside / 'copy.sqlite'}'",
        "VACUUM",
        "SELECT load_extension('/nonexistent/ext')",
        f"PRAGMA temp_store_directory = '{outside}'",
        "PRAGMA journal_mode = DELETE",
        "PRAGMA writable_schema = ON",
        "PRAGMA wal_checkpoint(TRUNCATE)",
        "CREATE TEMP TABLE scratch (x)",
    ]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    victim = sqlite3.connect(folder / "victim.sqlite")
    victim.execute("CREATE TABLE secrets (v)")
    victim.execute("INSERT INTO secrets VALUES ('VICTIM')")
    victim.commit()
    victim.close()
    return folder


@pytest.fixture
async def mf(worker_dir: Any, tmp_path: Path) -> Any:
    async with Pyflare(worker_dir(CONFIG, {"src/entry.py": ENTRY}), persist_to=tmp_path / "state") as mf:
        await mf.env.DB.exec("CREATE TABLE t (x)")
        await mf.env.OBJ.getByName("a").run("CREATE TABLE t (x)")
        yield mf


async def run_on_every_surface(mf: Any, sql: str) -> dict[str, str | None]:
    """The error each in-process surface gives for ``sql`` (None where it ran)."""
    outcome: dict[str, str | None] = {}
    stub = mf.env.OBJ.getByName("a")
    outcome["ctx.storage.sql"] = (await stub.run(sql)).get("error")
    try:
        await mf.env.DB.prepare(sql).all()
        outcome["D1 binding"] = None
    except Exception as exc:
        outcome["D1 binding"] = str(exc)
    response = await mf.dispatch_fetch(f"{API}/d1/database/db/query", method="POST", json={"sql": sql})
    outcome["explorer D1 console"] = None if response.status_code == 200 else response.json()["errors"][0]["message"]
    response = await mf.dispatch_fetch(f"{API}/workers/durable_objects/namespaces/sql-Obj/query", method="POST",
                                       json={"objectId": stub.id.toString(), "sql": sql})
    outcome["explorer DO console"] = None if response.status_code == 200 else response.json()["errors"][0]["message"]
    return outcome


async def test_no_statement_reaches_another_file_on_any_surface(mf: Any, outside: Path) -> None:
    for sql in attacks(outside):
        outcome = await run_on_every_surface(mf, sql)
        assert all(error is not None for error in outcome.values()), (sql, outcome)
        assert all(REFUSED.search(error) for error in outcome.values() if error), (sql, outcome)
    assert sorted(p.name for p in outside.iterdir()) == ["victim.sqlite"]


async def test_an_attachment_made_elsewhere_is_never_visible(mf: Any, outside: Path) -> None:
    """Before, the explorer's console attached a file to the object's connection and the object read it."""
    stub = mf.env.OBJ.getByName("a")
    await run_on_every_surface(mf, f"ATTACH DATABASE '{outside / 'victim.sqlite'}' AS v")
    assert "no such table: v.secrets" in (await stub.run("SELECT v FROM v.secrets"))["error"]


async def test_the_consoles_still_run_ordinary_sql(mf: Any) -> None:
    stub = mf.env.OBJ.getByName("a")
    for sql in ("INSERT INTO t VALUES (1)", "SELECT count(*) AS n, json_object('a', 1) AS j FROM t",
                "PRAGMA table_info(t)", "PRAGMA foreign_keys = ON", "CREATE INDEX IF NOT EXISTS by_x ON t (x)"):
        outcome = await run_on_every_surface(mf, sql)
        assert outcome == dict.fromkeys(outcome), (sql, outcome)
    # one insert from each surface: ctx.storage.sql and the DO console on the object's file, two on the database
    assert (await stub.run("SELECT count(*) FROM t"))["rows"] == [[2]]
    assert (await mf.env.DB.prepare("SELECT count(*) AS n FROM t").first())["n"] == 2


async def test_the_object_keys_stay_out_of_reach_of_its_sql(mf: Any) -> None:
    stub = mf.env.OBJ.getByName("a")
    await stub.put("k", "v")  # _cf_KV exists from the object's first key on, as in workerd
    assert (await stub.run("SELECT * FROM _cf_KV"))["error"] == "access to _cf_KV.key is prohibited: SQLITE_AUTH"
    response = await mf.dispatch_fetch(f"{API}/workers/durable_objects/namespaces/sql-Obj/query", method="POST",
                                       json={"objectId": stub.id.toString(), "sql": "DELETE FROM _cf_KV"})
    assert response.status_code == 400


def test_pyflare_d1_execute_refuses_other_files(worker_dir: Any, tmp_path: Path, outside: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    config = worker_dir(CONFIG, {"src/entry.py": ENTRY})
    for sql in attacks(outside)[:4]:
        code = main(["d1", "execute", "db", "--command", sql, "--json", "--config", str(config),
                     "--persist-to", str(tmp_path / "state")])
        assert code == 1, sql
        assert REFUSED.search(json.loads(capsys.readouterr().out)["error"]["text"])
    assert sorted(p.name for p in outside.iterdir()) == ["victim.sqlite"]
