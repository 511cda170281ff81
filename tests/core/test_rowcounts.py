"""Row counters as workerd reports them (rowsRead/rowsWritten, D1's rows_read/rows_written).

The expected numbers are what workerd (Miniflare 4.20260730.0, a Durable Object's ctx.storage.sql) reported
for each statement, run in this order on one database. A few statements pyflare only estimates (marked
``None``): a virtual table scanned past a filter, building an index (workerd's newer SQLite), foreign key
actions and triggers (sub-programs), ALTER TABLE; docs/conformance.md lists them.
"""

from __future__ import annotations

import sqlite3

import pytest

from pyflare.storage import sqlitecapi
from pyflare.storage.rowcounts import RowCounter
from pyflare.storage.sql import split_statements

pytestmark = pytest.mark.skipif(not sqlitecapi.AVAILABLE, reason="SQLite's C API is not reachable here")

# (statement, rows read, rows written) as workerd counted them; None: pyflare's count is an estimate
WORKERD = [
    ('SELECT 1', (0, 0)),
    ('SELECT 1; SELECT 2', (0, 0)),
    ('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, n INTEGER)', (1, 2)),
    ('SELECT * FROM t', (1, 0)),
    ('SELECT count(*) FROM t', (0, 0)),
    ("INSERT INTO t (v, n) VALUES ('a', 1)", (0, 1)),
    ('SELECT * FROM t', (1, 0)),
    ('SELECT * FROM t WHERE n = 5', (1, 0)),
    ("INSERT INTO t (v, n) VALUES ('b', 2), ('c', 3), ('d', 4), ('e', 5), ('f', 6)", (0, 5)),
    ('SELECT * FROM t', (6, 0)),
    ('SELECT * FROM t LIMIT 2', (2, 0)),
    ('SELECT * FROM t LIMIT 0', (0, 0)),
    ('SELECT * FROM t WHERE id = 2', (1, 0)),
    ('SELECT * FROM t WHERE id = 99', (1, 0)),
    ('SELECT * FROM t WHERE id IN (1, 3, 5)', (6, 0)),
    ('SELECT * FROM t WHERE id IN (1, 3, 99)', (6, 0)),
    ('SELECT * FROM t WHERE id > 2', (4, 0)),
    ('SELECT * FROM t WHERE id < 3', (3, 0)),
    ('SELECT * FROM t WHERE id BETWEEN 2 AND 4', (4, 0)),
    ('SELECT * FROM t WHERE n > 2', (6, 0)),
    ("SELECT * FROM t WHERE v = 'c'", (6, 0)),
    ('SELECT count(*) FROM t', (6, 0)),
    ('SELECT count(*) FROM t WHERE n > 2', (6, 0)),
    ('SELECT count(n) FROM t', (6, 0)),
    ('SELECT max(id) FROM t', (1, 0)),
    ('SELECT min(id) FROM t', (1, 0)),
    ('SELECT max(n) FROM t', (6, 0)),
    ('SELECT sum(n), avg(n) FROM t', (6, 0)),
    ('SELECT * FROM t ORDER BY v DESC', (12, 0)),
    ('SELECT * FROM t ORDER BY n LIMIT 2', (12, 0)),
    ('SELECT * FROM t ORDER BY id DESC', (6, 0)),
    ('SELECT * FROM t ORDER BY id DESC LIMIT 2', (2, 0)),
    ('SELECT DISTINCT n % 2 FROM t', (6, 0)),
    ('SELECT n % 2 AS k, count(*) FROM t GROUP BY k', (12, 0)),
    ('SELECT * FROM t WHERE n = (SELECT max(n) FROM t)', (12, 0)),
    ('SELECT * FROM t WHERE n IN (SELECT n FROM t WHERE n < 3)', (12, 0)),
    ('SELECT * FROM t WHERE EXISTS (SELECT 1 FROM t AS u WHERE u.n = t.n + 1)', (32, 0)),
    ('SELECT (SELECT count(*) FROM t) AS c', (6, 0)),
    ('SELECT * FROM t a JOIN t b ON b.id = a.n', (12, 0)),
    ('SELECT * FROM t a JOIN t b ON b.n = a.n', (23, 0)),
    ('SELECT * FROM t a, t b', (42, 0)),
    ('SELECT * FROM t a LEFT JOIN t b ON b.id = a.n + 10', (12, 0)),
    ('SELECT v FROM t UNION SELECT v FROM t', (18, 0)),
    ('SELECT v FROM t UNION ALL SELECT v FROM t', (12, 0)),
    ('SELECT * FROM (SELECT * FROM t ORDER BY n LIMIT 3)', (12, 0)),
    ('WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 5) SELECT * FROM r', (6, 0)),
    ('WITH c AS (SELECT n FROM t WHERE n > 3) SELECT count(*) FROM c', (6, 0)),
    ("SELECT * FROM json_each('[1,2,3]')", (3, 0)),
    ("SELECT value FROM json_each('[1,2,3]') WHERE value > 1", None),
    ("SELECT * FROM t WHERE n IN (SELECT value FROM json_each('[2,4]'))", (8, 0)),
    ("UPDATE t SET v = 'x' WHERE id = 1", (1, 1)),
    ("UPDATE t SET v = 'x' WHERE id = 99", (1, 0)),
    ("UPDATE t SET v = v || '!'", (6, 6)),
    ('UPDATE t SET n = n + 1 WHERE n > 4', (6, 2)),
    ('UPDATE t SET n = n WHERE n > 100', (6, 0)),
    ('CREATE INDEX tn ON t (n)', None),
    ('SELECT * FROM t WHERE n = 3', (2, 0)),
    ('SELECT * FROM t WHERE n = 99', (0, 0)),
    ('SELECT * FROM t WHERE n > 3', (3, 0)),
    ('SELECT * FROM t WHERE n > 3 ORDER BY n', (3, 0)),
    ('SELECT n FROM t WHERE n > 3', (3, 0)),
    ('SELECT count(*) FROM t', (6, 0)),
    ('SELECT max(n) FROM t', (1, 0)),
    ('SELECT min(n) FROM t', (1, 0)),
    ('SELECT * FROM t ORDER BY n', (6, 0)),
    ('SELECT * FROM t ORDER BY n DESC LIMIT 2', (2, 0)),
    ('SELECT * FROM t a JOIN t b ON b.n = a.id', (12, 0)),
    ('UPDATE t SET n = 30 WHERE n = 3', (4, 2)),
    ("UPDATE t SET v = 'y' WHERE n = 2", (2, 1)),
    ("UPDATE t SET v = 'z' WHERE n > 4", (3, 3)),
    ('UPDATE t SET id = 100 WHERE id = 4', (3, 2)),
    ('DELETE FROM t WHERE id = 5', (1, 1)),
    ('DELETE FROM t WHERE id = 99', (1, 0)),
    ('DELETE FROM t WHERE n = 30', (1, 1)),
    ("DELETE FROM t WHERE v = 'z'", (4, 1)),
    ("INSERT INTO t (v, n) VALUES ('g', 7)", (0, 2)),
    ("INSERT INTO t (id, v, n) VALUES (50, 'h', 8)", (1, 2)),
    ('INSERT INTO t (v, n) SELECT v, n FROM t', (10, 10)),
    ("INSERT INTO t (v, n) SELECT 'x', 1 FROM (SELECT 1 UNION ALL SELECT 2)", (0, 4)),
    ("INSERT INTO t (v, n) VALUES ('r', 1) RETURNING id", (1, 2)),
    ('UPDATE t SET n = 0 WHERE id = 1 RETURNING n', (2, 2)),
    ('DELETE FROM t WHERE id = 1 RETURNING v', (2, 1)),
    ('SELECT count(*) FROM t', (12, 0)),
    ('DELETE FROM t', (0, 12)),
    ('SELECT * FROM t', (1, 0)),
    ('CREATE TABLE u (a UNIQUE, b)', (1, 3)),
    ('INSERT INTO u VALUES (1, 2)', (0, 2)),
    ('INSERT INTO u VALUES (2, 2), (3, 3)', (0, 4)),
    ('INSERT OR REPLACE INTO u VALUES (1, 3)', (1, 2)),
    ('INSERT OR IGNORE INTO u VALUES (1, 4)', (0, 0)),
    ('INSERT INTO u VALUES (1, 5) ON CONFLICT (a) DO UPDATE SET b = excluded.b', (1, 1)),
    ('INSERT INTO u VALUES (9, 5) ON CONFLICT (a) DO UPDATE SET b = excluded.b', (0, 2)),
    ('INSERT INTO u VALUES (9, 6) ON CONFLICT DO NOTHING', (0, 0)),
    ('SELECT * FROM u WHERE a = 2', (1, 0)),
    ('REPLACE INTO u VALUES (2, 9)', (1, 2)),
    ('DELETE FROM u WHERE b = 9', (4, 1)),
    ('DELETE FROM u', (0, 3)),
    ('DROP TABLE u', (6, 0)),
    ('CREATE TABLE w (k TEXT PRIMARY KEY, v) WITHOUT ROWID', (1, 2)),
    ("INSERT INTO w VALUES ('a', 1), ('b', 2)", (0, 2)),
    ("SELECT * FROM w WHERE k = 'a'", (1, 0)),
    ('SELECT * FROM w', (2, 0)),
    ("UPDATE w SET v = 3 WHERE k = 'b'", (1, 1)),
    ("DELETE FROM w WHERE k = 'a'", (1, 1)),
    ('CREATE TABLE p (id INTEGER PRIMARY KEY)', (1, 2)),
    ('CREATE TABLE ch (id INTEGER PRIMARY KEY, p INTEGER REFERENCES p (id) ON DELETE CASCADE)', (1, 2)),
    ('INSERT INTO p VALUES (1), (2)', (2, 2)),
    ('INSERT INTO ch VALUES (1, 1), (2, 1), (3, 2)', (6, 3)),
    ('INSERT INTO ch VALUES (4, 2)', (2, 1)),
    ('DELETE FROM p WHERE id = 1', None),
    ('SELECT count(*) FROM ch', (2, 0)),
    ('CREATE TABLE log (m)', (1, 2)),
    ('CREATE TRIGGER tr AFTER INSERT ON p BEGIN INSERT INTO log VALUES (new.id); END', (0, 1)),
    ('INSERT INTO p VALUES (3)', (1, 2)),
    ('SELECT * FROM log', (1, 0)),
    ('DROP TRIGGER tr', (7, 0)),
    ('CREATE VIEW vv AS SELECT * FROM p', (1, 2)),
    ('SELECT * FROM vv', (2, 0)),
    ('DROP VIEW vv', (7, 0)),
    ('ALTER TABLE log ADD COLUMN extra', (8, 1)),
    ('ALTER TABLE log RENAME TO log2', None),
    ('ALTER TABLE log2 RENAME COLUMN m TO mm', None),
    ('DROP INDEX tn', (7, 0)),
    ('DROP TABLE t', (6, 0)),
    ('DROP TABLE ch', (5, 0)),
    ('CREATE TABLE ai (id INTEGER PRIMARY KEY AUTOINCREMENT, x)', (2, 4)),
    ('INSERT INTO ai (x) VALUES (1)', (1, 2)),
    ('INSERT INTO ai (x) VALUES (2), (3)', (1, 3)),
    ('DELETE FROM ai WHERE id = 2', (1, 1)),
    ('DROP TABLE ai', (7, 0)),
    ('CREATE VIRTUAL TABLE f USING fts5(body)', (1, 2)),
    ("INSERT INTO f VALUES ('hello world'), ('goodbye world'), ('hello there')", (0, 3)),
    ("SELECT * FROM f WHERE f MATCH 'hello'", (2, 0)),
    ('SELECT count(*) FROM f', None),
    ('DELETE FROM f WHERE rowid = 1', (0, 1)),
    ('DROP TABLE f', (10, 0)),
    ('SELECT * FROM sqlite_master', (4, 0)),
    ("SELECT name FROM pragma_table_info('p')", (1, 0)),
]


def _run(connection: sqlite3.Connection, sql: str) -> tuple[int, int]:
    statements = split_statements(sql)
    for statement in statements[:-1]:
        connection.execute(statement).close()  # as workerd: one step, rows unread
    last = statements[-1]
    counter = RowCounter(connection, last, ())
    rows = connection.execute(last).fetchall()
    return counter.counts(len(rows), True)


def test_counts_match_workerds_for_every_kind_of_statement():
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute("BEGIN")  # workerd runs a worker's statements in a transaction
    wrong = []
    for sql, expected in WORKERD:
        counted = _run(connection, sql)
        if expected is not None and counted != expected:
            wrong.append((sql, counted, expected))
    assert wrong == []


def test_counts_while_rows_are_still_being_read():
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (a)")
    connection.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(5)])
    counter = RowCounter(connection, "SELECT a FROM t", ())
    cursor = connection.execute("SELECT a FROM t")
    assert counter.counts(1, False)[0] == 1  # positioned on the first row
    cursor.fetchall()
    assert counter.counts(5, True) == (5, 0)


def test_a_statement_run_again_keeps_the_counts_of_its_first_run():
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (a)")
    connection.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(3)])
    first = RowCounter(connection, "SELECT a FROM t", ())
    connection.execute("SELECT a FROM t").fetchall()
    second = RowCounter(connection, "SELECT a FROM t", ())  # SQLite reuses the prepared statement
    connection.execute("SELECT a FROM t").fetchall()
    assert first.counts(3, True) == (3, 0)
    assert second.counts(3, True) == (3, 0)  # not 6: each run counts its own


def test_an_explain_too_long_for_the_limit_still_counts():
    connection = sqlite3.connect(":memory:")
    if hasattr(connection, "setlimit"):
        connection.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, 1000)
    sql = "SELECT '" + "x" * 980 + "' AS v"
    counter = RowCounter(connection, sql, ())
    rows = connection.execute(sql).fetchall()
    assert counter.counts(len(rows), True) == (0, 0)

