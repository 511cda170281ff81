"""Migrations as wrangler keeps them, and the pytest helpers that start a test's database."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest

from pyflare.bindings.d1.migrations import MigrationError, Migrations
from pyflare.testing.d1 import apply_d1_migrations, d1_store, seed_d1


def migrations_of(mf) -> Migrations:
    return Migrations.for_database(mf.config, mf.config.worker.d1_databases[0])


async def test_migrations_dir_defaults_to_migrations_beside_the_config(mf):
    assert migrations_of(mf).folder == (mf.config.root / "migrations").resolve()
    assert migrations_of(mf).table == "d1_migrations"


async def test_files_are_listed_in_number_order(mf):
    (mf.config.root / "migrations" / "0010_later.sql").write_text("SELECT 1;")
    (mf.config.root / "migrations" / "notes.txt").write_text("not a migration")
    assert migrations_of(mf).files() == ["0000_create_users.sql", "0001_add_email.sql", "0010_later.sql"]


def test_create_numbers_from_0000_and_writes_a_header(tmp_path):
    migrations = Migrations(tmp_path / "migrations")
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    first = migrations.create("create users", now)
    second = migrations.create("add_email", now)
    assert first.name == "0000_create_users.sql"
    assert second.name == "0001_add_email.sql"
    assert first.read_text() == "-- Migration number: 0000 \t 2026-01-02T03:04:05.000Z\n"


async def test_apply_runs_every_migration_in_order(mf):
    applied = await apply_d1_migrations(mf, "DB")
    assert applied == ["0000_create_users.sql", "0001_add_email.sql"]
    columns = await mf.env.DB.prepare("PRAGMA table_info(users)").all()
    assert [c.name for c in columns.results] == ["id", "name", "email"]


async def test_apply_records_migrations_in_the_d1_migrations_table(mf):
    await apply_d1_migrations(mf, "DB")
    rows = await mf.env.DB.prepare("SELECT id, name, applied_at FROM d1_migrations ORDER BY id").all()
    assert [(r.id, r.name) for r in rows.results] == [(1, "0000_create_users.sql"), (2, "0001_add_email.sql")]
    assert all(r.applied_at for r in rows.results)


async def test_d1_migrations_table_has_wranglers_schema(mf):
    await apply_d1_migrations(mf, "DB")
    sql = await mf.env.DB.prepare("SELECT sql FROM sqlite_schema WHERE name = 'd1_migrations'").first("sql")
    assert sql == (
        "CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, "
        "applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)"
    )


async def test_apply_twice_applies_nothing_the_second_time(mf):
    await apply_d1_migrations(mf, "DB")
    assert await apply_d1_migrations(mf, "DB") == []


async def test_new_migration_file_is_applied_next_time(mf):
    await apply_d1_migrations(mf, "DB")
    (mf.config.root / "migrations" / "0002_seed.sql").write_text("INSERT INTO users (name) VALUES ('ada');")
    assert await apply_d1_migrations(mf, "DB") == ["0002_seed.sql"]
    assert migrations_of(mf).unapplied(d1_store(mf)) == []


async def test_failing_migration_stops_the_run_and_leaves_the_database_as_before_it(mf):
    folder = mf.config.root / "migrations"
    (folder / "0002_bad.sql").write_text(
        "CREATE TABLE posts (id INTEGER PRIMARY KEY);\nINSERT INTO users (name) VALUES ('x');\nINSERT INTO nope VALUES (1);\n"
    )
    (folder / "0003_after.sql").write_text("CREATE TABLE after_bad (a);")
    with pytest.raises(MigrationError) as info:
        await apply_d1_migrations(mf, "DB")
    assert info.value.name == "0002_bad.sql"
    assert info.value.applied == ["0000_create_users.sql", "0001_add_email.sql"]
    assert str(info.value.error) == "D1_ERROR: no such table: nope: SQLITE_ERROR"
    db = mf.env.DB
    tables = await db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").raw()
    assert tables == [["d1_migrations"], ["sqlite_sequence"], ["users"]]
    assert await db.prepare("SELECT count(*) AS n FROM users").first("n") == 0
    assert migrations_of(mf).unapplied(d1_store(mf)) == ["0002_bad.sql", "0003_after.sql"]


async def test_migration_with_begin_transaction_fails_as_on_d1(mf):
    (mf.config.root / "migrations" / "0002_txn.sql").write_text("BEGIN TRANSACTION;\nCREATE TABLE x (a);\nCOMMIT;")
    with pytest.raises(MigrationError, match="To execute a transaction"):
        await apply_d1_migrations(mf, "DB")


async def test_custom_migrations_dir_and_table_come_from_the_config(start_worker):
    config = """
    name = "x"
    main = "src/entry.py"
    [[d1_databases]]
    binding = "DB"
    database_name = "custom"
    migrations_dir = "db/schema"
    migrations_table = "schema_history"
    """
    mf = await start_worker(config, {"src/entry.py": "x = 1\n", "db/schema/0000_init.sql": "CREATE TABLE t (a);"})
    assert await apply_d1_migrations(mf, "custom") == ["0000_init.sql"]
    assert await mf.env.DB.prepare("SELECT name FROM schema_history").first("name") == "0000_init.sql"


async def test_seed_from_sql_text(mf):
    await apply_d1_migrations(mf)
    await seed_d1(mf, "DB", "INSERT INTO users (name) VALUES ('ada');\nINSERT INTO users (name) VALUES ('bob');")
    assert await mf.env.DB.prepare("SELECT count(*) AS n FROM users").first("n") == 2


async def test_seed_from_a_sql_file(mf, tmp_path):
    await apply_d1_migrations(mf)
    seed = tmp_path / "seed.sql"
    seed.write_text("INSERT INTO users (name) VALUES ('ada');")
    await seed_d1(mf, "DB", seed)
    await seed_d1(mf, "DB", str(seed))
    assert await mf.env.DB.prepare("SELECT count(*) AS n FROM users").first("n") == 2


async def test_seed_from_a_prepared_sqlite_file_replaces_the_database(mf, tmp_path):
    prepared = tmp_path / "fixture.sqlite"
    with sqlite3.connect(prepared) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany("INSERT INTO users (name) VALUES (?)", [(f"user{i}",) for i in range(1000)])
    conn.close()
    await seed_d1(mf, "DB", prepared)
    assert await mf.env.DB.prepare("SELECT count(*) AS n FROM users").first("n") == 1000
    assert (await mf.env.DB.prepare("INSERT INTO users (name) VALUES ('new')").run()).meta.last_row_id == 1001


async def test_failing_seed_changes_nothing(mf):
    await apply_d1_migrations(mf)
    with pytest.raises(Exception, match="no such table"):
        await seed_d1(mf, "DB", "INSERT INTO users (name) VALUES ('ada');\nINSERT INTO nope VALUES (1);")
    assert await mf.env.DB.prepare("SELECT count(*) AS n FROM users").first("n") == 0


async def test_worker_reads_migrated_and_seeded_data(mf):
    await apply_d1_migrations(mf, "DB")
    await seed_d1(mf, "DB", "INSERT INTO users (id, name) VALUES (7, 'ada');")
    assert (await mf.dispatch_fetch("/7")).text == "ada"
    assert (await mf.dispatch_fetch("/8")).status_code == 404
    assert (await mf.dispatch_fetch("/users")).json() == [{"id": 7, "name": "ada"}]


async def test_each_fresh_database_gets_the_migrations_result_even_after_an_edit(project):
    # Every test applies the same migrations to a fresh database: after the first, pyflare copies the result
    # instead of running the SQL again, which must not be told apart from running it (nor miss an edit).
    from pyflare import Pyflare

    async def migrated_columns() -> tuple[list[str], list[str]]:
        async with Pyflare(project) as mf:
            assert await apply_d1_migrations(mf, "DB") == ["0000_create_users.sql", "0001_add_email.sql"]
            columns = (await mf.env.DB.prepare("PRAGMA table_info(users)").all()).results
            names = (await mf.env.DB.prepare("SELECT name FROM d1_migrations ORDER BY id").all()).results
            await mf.env.DB.prepare("INSERT INTO users (name) VALUES ('only in this test')").run()
            return [c.name for c in columns], [n.name for n in names]

    first = await migrated_columns()
    assert await migrated_columns() == first == (["id", "name", "email"],
                                                 ["0000_create_users.sql", "0001_add_email.sql"])
    migration = project.parent / "migrations" / "0001_add_email.sql"
    migration.write_text(migration.read_text() + "\nALTER TABLE users ADD COLUMN age INTEGER;")
    assert (await migrated_columns())[0] == ["id", "name", "email", "age"]


async def test_a_migration_writing_varying_values_runs_for_each_fresh_database(project):
    from pyflare import Pyflare

    (project.parent / "migrations" / "0002_seed.sql").write_text(
        "INSERT INTO users (name) VALUES (hex(randomblob(8)));")
    seeded = []
    for _ in range(2):
        async with Pyflare(project) as mf:
            await apply_d1_migrations(mf, "DB")
            seeded.append(await mf.env.DB.prepare("SELECT name FROM users").first("name"))
    assert seeded[0] != seeded[1]
