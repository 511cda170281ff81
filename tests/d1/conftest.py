"""Fixtures for D1 tests: a started worker with one D1 database (binding DB, database_name test-db)."""

from __future__ import annotations

from typing import Any

import pytest

D1_CONFIG = """
name = "d1-test"
main = "src/entry.py"
compatibility_date = "2025-11-01"
compatibility_flags = ["python_workers"]

[[d1_databases]]
binding = "DB"
database_name = "test-db"
database_id = "00000000-0000-0000-0000-000000000001"
"""

ENTRY = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/users"):
            rows = await self.env.DB.prepare("SELECT id, name FROM users ORDER BY id").all()
            return Response.json(rows.results)
        user_id = int(request.url.rsplit("/", 1)[-1] or 0)
        row = await self.env.DB.prepare("SELECT name FROM users WHERE id = ?").bind(user_id).first()
        if row is None:
            return Response("not found", status=404)
        return Response(row.name)
"""

MIGRATION_1 = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
MIGRATION_2 = "ALTER TABLE users ADD COLUMN email TEXT;\nCREATE UNIQUE INDEX users_email ON users(email);\n"


@pytest.fixture
def d1_project() -> tuple[str, dict[str, str]]:
    """``(config_toml, files)`` of a worker with one D1 database and two migrations."""
    return D1_CONFIG, {
        "src/entry.py": ENTRY,
        "migrations/0000_create_users.sql": MIGRATION_1,
        "migrations/0001_add_email.sql": MIGRATION_2,
    }


@pytest.fixture
async def mf(start_worker: Any, d1_project: tuple[str, dict[str, str]]) -> Any:
    """A started Pyflare with ``env.DB``, fresh storage and a manual clock."""
    return await start_worker(*d1_project, clock="manual")


@pytest.fixture
def db(mf: Any) -> Any:
    return mf.env.DB


@pytest.fixture
async def users(db: Any) -> Any:
    """``env.DB`` with a ``users`` table holding ada (1) and bob (2)."""
    await db.batch([
        db.prepare("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, data BLOB)"),
        db.prepare("INSERT INTO users (id, name) VALUES (1, 'ada'), (2, 'bob')"),
    ])
    return db


@pytest.fixture
def project(worker_dir: Any, d1_project: tuple[str, dict[str, str]]) -> Any:
    """The path of that worker's config file, for tests that open ``Pyflare`` themselves."""
    return worker_dir(*d1_project)
