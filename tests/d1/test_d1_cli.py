"""``pyflare d1 execute | migrations | export`` on a project's local state."""

from __future__ import annotations

import json
import sqlite3

from pyflare.cli import main


def d1(project, *args: str) -> int:
    return main(["d1", *args, "--config", str(project)])


def test_execute_command_prints_a_table(project, capsys):
    assert d1(project, "execute", "DB", "--command", "SELECT 1 AS one, 'x' AS two") == 0
    out = capsys.readouterr().out
    assert "│ one │ two │" in out
    assert "│ 1   │ x   │" in out


def test_execute_json_prints_d1_results(project, capsys):
    assert d1(project, "execute", "test-db", "--command", "CREATE TABLE t (a); INSERT INTO t VALUES (1); SELECT a FROM t",
              "--json") == 0
    results = json.loads(capsys.readouterr().out)
    assert len(results) == 3
    assert results[2]["results"] == [{"a": 1}]
    assert results[2]["success"] is True
    assert results[1]["meta"]["changes"] == 1


def test_execute_writes_to_the_persisted_sqlite_file(project, capsys):
    assert d1(project, "execute", "DB", "--command", "CREATE TABLE t (a); INSERT INTO t VALUES ('kept')") == 0
    path = project.parent / ".pyflare" / "state" / "d1" / "test-db.sqlite"
    assert sqlite3.connect(path).execute("SELECT a FROM t").fetchall() == [("kept",)]


def test_execute_file_runs_every_statement(project, tmp_path, capsys):
    sql = tmp_path / "seed.sql"
    sql.write_text("CREATE TABLE t (a);\n-- comment\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\n")
    assert d1(project, "execute", "DB", "--file", str(sql)) == 0
    capsys.readouterr()
    assert d1(project, "execute", "DB", "--command", "SELECT count(*) AS n FROM t", "--json") == 0
    assert json.loads(capsys.readouterr().out)[0]["results"] == [{"n": 2}]


def test_execute_failure_rolls_back_and_exits_1(project, capsys):
    assert d1(project, "execute", "DB", "--command", "CREATE TABLE t (a); INSERT INTO nope VALUES (1)") == 1
    assert "D1_ERROR: no such table: nope: SQLITE_ERROR" in capsys.readouterr().err
    assert d1(project, "execute", "DB", "--command", "SELECT name FROM sqlite_schema", "--json") == 0
    assert json.loads(capsys.readouterr().out)[0]["results"] == []


def test_execute_unknown_database_is_an_error(project, capsys):
    assert d1(project, "execute", "NOPE", "--command", "SELECT 1") == 1
    assert "Couldn't find a D1 DB with the name or binding 'NOPE'" in capsys.readouterr().err


def test_execute_needs_command_or_file(project, capsys):
    try:
        d1(project, "execute", "DB")
    except SystemExit as exc:
        assert exc.code == 2
    else:  # pragma: no cover
        raise AssertionError("argparse should have refused")


def test_migrations_list_shows_unapplied(project, capsys):
    assert d1(project, "migrations", "list", "DB") == 0
    out = capsys.readouterr().out
    assert "0000_create_users.sql" in out and "0001_add_email.sql" in out


def test_migrations_apply_then_list_shows_none(project, capsys):
    assert d1(project, "migrations", "apply", "DB") == 0
    assert "✅" in capsys.readouterr().out
    assert d1(project, "migrations", "list", "DB") == 0
    assert "No migrations to apply" in capsys.readouterr().out


def test_migrations_apply_failure_exits_1_and_keeps_earlier_ones(project, capsys):
    (project.parent / "migrations" / "0002_bad.sql").write_text("CREATE TABLE x (a);\nSELEC 1;")
    assert d1(project, "migrations", "apply", "DB") == 1
    captured = capsys.readouterr()
    assert "Migration 0002_bad.sql failed" in captured.err
    assert "❌" in captured.out
    assert d1(project, "execute", "DB", "--command", "SELECT name FROM d1_migrations ORDER BY id", "--json") == 0
    names = [r["name"] for r in json.loads(capsys.readouterr().out)[0]["results"]]
    assert names == ["0000_create_users.sql", "0001_add_email.sql"]


def test_migrations_create_writes_the_next_file(project, capsys):
    assert d1(project, "migrations", "create", "DB", "add posts") == 0
    created = project.parent / "migrations" / "0002_add_posts.sql"
    assert created.read_text().startswith("-- Migration number: 0002")
    assert "Successfully created Migration '0002_add_posts.sql'" in capsys.readouterr().out


def test_export_writes_schema_and_data_that_rebuild_the_database(project, tmp_path, capsys):
    setup = ("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, s TEXT, b BLOB, f REAL);"
             " CREATE INDEX t_s ON t(s);"
             " INSERT INTO t (s, b, f) VALUES ('it''s' || char(10) || 'two lines', X'00ff', 1.5), (NULL, NULL, NULL)")
    assert d1(project, "execute", "DB", "--command", setup) == 0
    dump = tmp_path / "dump.sql"
    assert d1(project, "export", "DB", "--output", str(dump)) == 0
    text = dump.read_text()
    assert text.startswith("PRAGMA defer_foreign_keys=TRUE;\nCREATE TABLE t (")
    assert "CREATE INDEX t_s ON t(s);" in text
    copy = sqlite3.connect(":memory:")
    copy.executescript(text)
    assert copy.execute("SELECT s, b, f FROM t ORDER BY id").fetchall() == [
        ("it's\ntwo lines", b"\x00\xff", 1.5), (None, None, None)
    ]


def test_export_no_data_writes_only_the_schema(project, tmp_path, capsys):
    assert d1(project, "execute", "DB", "--command", "CREATE TABLE t (a); INSERT INTO t VALUES (1)") == 0
    dump = tmp_path / "schema.sql"
    assert d1(project, "export", "DB", "--output", str(dump), "--no-data") == 0
    assert "INSERT" not in dump.read_text()
    assert "CREATE TABLE t (a);" in dump.read_text()


def test_export_of_virtual_tables_is_refused_as_on_d1(project, tmp_path, capsys):
    assert d1(project, "execute", "DB", "--command", "CREATE VIRTUAL TABLE docs USING fts5(body)") == 0
    assert d1(project, "export", "DB", "--output", str(tmp_path / "x.sql")) == 1
    assert "cannot export databases with Virtual Tables (fts5)" in capsys.readouterr().err


def test_export_quotes_keyword_table_and_column_names(project, tmp_path, capsys):
    assert d1(project, "execute", "DB", "--command", 'CREATE TABLE "order" ("group" TEXT); INSERT INTO "order" VALUES (\'a\')') == 0
    dump = tmp_path / "dump.sql"
    assert d1(project, "export", "DB", "--output", str(dump)) == 0
    copy = sqlite3.connect(":memory:")
    copy.executescript(dump.read_text())
    assert copy.execute('SELECT "group" FROM "order"').fetchall() == [("a",)]
