"""Durable Object storage, run inside objects (one per sequence, so each starts empty): the KV API on the
SQLite-backed and the KV-backed class, the SQL API (cursors, bindings, errors, the authorizer, limits,
row counters, foreign keys), and the synchronous ``storage.kv`` API."""

from __future__ import annotations

from conformance.ops import call, date, filled, get, repeat, sequence

BACKENDS = {"sqlite": "SQL_OBJECT", "kv": "KV_OBJECT"}


def st(*args, **kwargs):
    return call("storage", *args, **kwargs)


def sql(query, *binds, as_=None):
    """``storage.sql.exec(query, *binds)``; described whole (rows, counters) unless kept with ``as_``."""
    return call("sql", "exec", query, *binds, as_=as_)


def kv_api_sequences(backend: str) -> list[dict]:
    s = []
    namespace = BACKENDS[backend]

    def add(name, ops):
        s.append(sequence(f"do-{backend}-{name}", f"do-{backend}", ops, object=namespace))

    add("basic", [
        st("get", "a"), st("put", "a", 1), st("get", "a"), st("put", "b", "two"), st("get", ["a", "b", "c"]),
        st("delete", "a"), st("delete", "a"), st("get", "a"), st("put", {"x": 1, "y": [1, 2], "z": None}),
        st("get", ["x", "y", "z"]), st("delete", ["x", "y", "nope"]), st("list"), st("deleteAll"), st("list"),
    ])
    add("values", [
        st("put", "int", 7), st("get", "int"), st("put", "float", 1.5), st("get", "float"),
        st("put", "intfloat", 3.0), st("get", "intfloat"), st("put", "big", 2**60), st("get", "big"),
        st("put", "maxsafe", 2**53), st("get", "maxsafe"),
        st("put", "nan", float("nan")), st("get", "nan"), st("put", "inf", float("-inf")), st("get", "inf"),
        st("put", "neg0", -0.0), st("get", "neg0"), st("put", "bool", False), st("get", "bool"),
        st("put", "none", None), st("get", "none"), st("put", "str", ""), st("get", "str"),
        st("put", "bytes", b"\x00\xff"), st("get", "bytes"), st("put", "set", {1, 2}), st("get", "set"),
        st("put", "date", date(1_700_000_000_000)), st("get", "date"),
        st("put", "nested", {"a": {"b": [1, {"c": 2.5}]}, "d": None}), st("get", "nested"),
        st("put", "list", [1, "a", None, True]), st("get", "list"), st("put", "dict", {}), st("get", "dict"),
        st("put", "unicode", "h\u00e9llo \U0001f600"), st("get", "unicode"), st("list"),
    ])
    add("keys", [
        st("put", "", "empty"), st("get", ""), st("put", 1, "one"), st("get", 1), st("get", "1"),
        st("put", 2.5, "x"), st("get", "2.5"), st("put", True, "t"), st("get", "true"), st("put", None, "n"),
        st("get", "null"), st("get", None), st("delete", 1), st("get", [1, "2.5"]),
        st("put", "k" * 2048, "max"), st("get", "k" * 2048), st("put", "k" * 2049, "over"), st("get", "k" * 2049),
        st("delete", "k" * 2049), st("get", ["k" * 2049]), st("put", "\ud800", "lone"), st("get", "\ufffd"),
        st("list"),
    ])
    add("value-size", [
        st("put", "v", repeat("x", 131072 - 34)), st("put", "w", repeat("x", 131072)),
        st("put", "over", repeat("x", 131073)), st("get", "over"), st("put", "bytes", filled(1, 131072)),
        st("put", {"m1": repeat("x", 131073)}), st("put", "big", repeat("x", 2 * 1024 * 1024)),
        st("put", "huge", repeat("x", 2 * 1024 * 1024 + 1)),
    ])
    add("counts", [
        st("put", {f"k{i}": i for i in range(128)}), st("put", {f"k{i}": i for i in range(129)}),
        st("get", [f"k{i}" for i in range(128)]), st("get", [f"k{i}" for i in range(129)]),
        st("delete", [f"k{i}" for i in range(129)]), st("delete", [f"k{i}" for i in range(128)]),
        st("put", {}), st("get", []), st("delete", []),
    ])
    add("put-errors", [
        st("put", "a"), st("put", "a", None), st("put"), st("put", ["a"], 1), st("put", {"a": 1}, 2),
        st("get"), st("delete"), st("put", "f", {"fn": None}), st("get", "f"),
    ])
    add("list", [
        st("put", {k: k for k in ("a", "b", "c", "d", "e", "ab", "B", "\u00e9", "a\x00")}),
        st("list"), st("list", start="b"), st("list", startAfter="b"), st("list", end="c"),
        st("list", start="b", end="d"), st("list", prefix="a"), st("list", reverse=True),
        st("list", reverse=True, limit=2), st("list", limit=3), st("list", limit=0), st("list", limit=-1),
        st("list", start="b", startAfter="c"), st("list", prefix="a", start="ab"), st("list", {"prefix": "a"}),
        st("list", limit="2"), st("list", limit=1.5), st("list", start=5), st("list", prefix=""),
        st("list", end="a"), st("list", start="z"), st("list", noCache=True, allowConcurrency=True),
        st("list", prefix="a", reverse=True, limit=1), st("list", bogus=1),
    ])
    add("options", [
        st("put", "a", 1, allowUnconfirmed=True), st("put", "b", 2, {"noCache": True}), st("get", "a", noCache=True),
        st("get", "a", allowConcurrency=True), st("delete", "b", allowUnconfirmed=True), st("list"),
        st("put", "c", 3, bogus=True), st("get", "c"),
    ])
    add("alarms", [
        st("getAlarm"), st("setAlarm", 1_900_000_000_000), st("setAlarm", 0), st("setAlarm", -1),
        st("setAlarm", date(1_900_000_000_000)), st("deleteAlarm"), st("getAlarm"), st("setAlarm", "soon"),
    ])
    add("delete-all", [
        st("put", {"a": 1, "b": 2}), st("deleteAll"), st("get", ["a", "b"]), st("list"), st("deleteAll"),
    ])
    add("sql-access", [sql("SELECT 1 AS one"), call("kv", "get", "a"), st("transactionSync", None)])
    return s


def sql_sequences() -> list[dict]:
    s = []

    def add(name, ops):
        s.append(sequence(f"do-sql-{name}", "do-sql", ops, object="SQL_OBJECT"))

    add("basic", [
        sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB)"),
        sql("INSERT INTO t (name, score) VALUES (?, ?)", "ada", 1.5), sql("INSERT INTO t (name, score) VALUES ('bob', 2)"),
        sql("SELECT * FROM t"), sql("SELECT name FROM t WHERE id = ?", 2), sql("SELECT * FROM t WHERE 0"),
        sql("UPDATE t SET score = score * 2"), sql("DELETE FROM t WHERE id = 1"), sql("SELECT count(*) AS n FROM t"),
        sql("SELECT * FROM t", as_="c1"), call("$c1", "toArray"), call("$c1", "toArray"),
        sql("SELECT * FROM t", as_="c2"), call("$c2", "one"), sql("SELECT * FROM t WHERE 0", as_="c3"),
        call("$c3", "one"), sql("INSERT INTO t (name) VALUES ('c')"), sql("SELECT * FROM t", as_="c4"),
        call("$c4", "one"), sql("SELECT id, name FROM t", as_="c5"), call("$c5", "raw"),
        sql("SELECT id FROM t ORDER BY id", as_="c6"), call("$c6", "next"), call("$c6", "next"), call("$c6", "next"),
        sql("SELECT * FROM t", as_="c7"), get("$c7", "columnNames"), get("$c7", "rowsRead"), get("$c7", "rowsWritten"),
        get("sql", "databaseSize"),
    ])
    add("numbers", [
        sql("SELECT 1 AS a, 1.0 AS b, 1.5 AS c, -0.0 AS d, 9007199254740993 AS e, 9223372036854775807 AS f"),
        sql("SELECT 1e308 * 10 AS inf, 0.1 + 0.2 AS sum"),
        sql("SELECT ? AS v, typeof(?) AS t", 1, 1), sql("SELECT ? AS v, typeof(?) AS t", 2.5, 2.5),
        sql("SELECT ? AS v, typeof(?) AS t", 3.0, 3.0), sql("SELECT ? AS v, typeof(?) AS t", True, True),
        sql("SELECT ? AS v, typeof(?) AS t", False, False), sql("SELECT ? AS v, typeof(?) AS t", None, None),
        sql("SELECT ? AS v, typeof(?) AS t", b"\x01", b"\x01"), sql("SELECT ? AS v", 2**53),
        sql("SELECT ? AS v", 2**53 + 1), sql("SELECT ? AS v", -(2**60)), sql("SELECT ? AS v", float("nan")),
        sql("SELECT ? AS v", float("inf")), sql("SELECT ? AS v", [1]), sql("SELECT ? AS v", {"a": 1}),
        sql("SELECT ? AS v", {1}), sql("SELECT ? AS v, typeof(?) AS t", "7", "7"),
        sql("SELECT CAST(2 AS REAL) AS v"), sql("SELECT 2.0 * 3 AS v"), sql("SELECT 12345678901234567 AS v"),
    ])
    add("errors", [
        sql(""), sql("   "), sql("-- comment"), sql(";"), sql("SELEC 1"), sql("SELECT * FROM nope"),
        sql("SELECT 1; SELECT 2"), sql("SELECT ?; SELECT ?", 1, 2), sql("SELECT ?", 1, 2), sql("SELECT ?, ?", 1),
        sql("SELECT 1", 1), sql("SELECT :a", 1), sql("SELECT ?5", 1),
        sql("CREATE TABLE u (a UNIQUE NOT NULL, b CHECK (b > 0))"), sql("INSERT INTO u VALUES (1, 1)"),
        sql("INSERT INTO u VALUES (1, 1)"), sql("INSERT INTO u VALUES (NULL, 1)"), sql("INSERT INTO u VALUES (2, 0)"),
        sql("SELECT 'unterminated"), sql("SELECT * FROM u WHERE"), sql("SELECT abs(-9223372036854775808)"),
        sql("CREATE TABLE u (a)"), sql("INSERT INTO u (nope) VALUES (1)"), call("sql", "exec"), call("sql", "exec", 5),
    ])
    add("authorizer", [
        sql("BEGIN"), sql("BEGIN TRANSACTION"), sql("COMMIT"), sql("ROLLBACK"), sql("SAVEPOINT x"), sql("RELEASE x"),
        sql("ATTACH DATABASE ':memory:' AS o"), sql("DETACH DATABASE o"), sql("VACUUM"),
        sql("SELECT sqlite_version()"), sql("SELECT sqlite_source_id()"), sql("SELECT load_extension('x')"),
        sql("PRAGMA foreign_keys"), sql("PRAGMA foreign_keys = OFF"), sql("PRAGMA journal_mode"),
        sql("PRAGMA user_version"), sql("PRAGMA table_list"), sql("PRAGMA table_info(t)"), sql("PRAGMA page_size"),
        sql("PRAGMA defer_foreign_keys = ON"), sql("PRAGMA quick_check"), sql("PRAGMA optimize"),
        sql("PRAGMA writable_schema = ON"), sql("PRAGMA compile_options"), sql("PRAGMA data_version"),
        sql("CREATE TEMP TABLE tmp (a)"), sql("CREATE TABLE _cf_x (a)"), sql("SELECT * FROM _cf_KV"),
        sql("SELECT * FROM _CF_KV"), sql("CREATE TABLE \"_cF_y\" (a)"),
        sql("CREATE VIRTUAL TABLE f USING fts5(body)"), sql("CREATE VIRTUAL TABLE x USING csv(data)"),
        sql("SELECT random() IS NOT NULL AS ok"), sql("SELECT changes() AS c"),
        sql("SELECT * FROM pragma_table_list"), sql("SELECT name FROM sqlite_master"),
    ])
    add("sqlite-master", [
        st("put", "a", 1), sql("CREATE TABLE visible (a)"), sql("SELECT name, type FROM sqlite_master"),
        sql("SELECT name FROM sqlite_schema"), sql("PRAGMA table_list"), st("setAlarm", 1_900_000_000_000),
        sql("SELECT count(*) AS n FROM sqlite_master"), st("deleteAll"), sql("SELECT name FROM sqlite_master"),
    ])
    add("foreign-keys", [
        sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)"),
        sql("CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent(id) ON DELETE CASCADE)"),
        sql("INSERT INTO parent VALUES (1)"), sql("INSERT INTO child VALUES (1, 1)"),
        sql("INSERT INTO child VALUES (2, 99)"), sql("DELETE FROM parent"), sql("SELECT count(*) AS n FROM child"),
        sql("PRAGMA foreign_keys"),
    ])
    add("counters", [
        sql("CREATE TABLE c (id INTEGER PRIMARY KEY, v TEXT)"), sql("CREATE INDEX cv ON c (v)"),
        sql("INSERT INTO c (v) VALUES ('a'), ('b'), ('c'), ('d')"), sql("SELECT * FROM c"),
        sql("SELECT * FROM c WHERE id = 2"), sql("SELECT * FROM c WHERE v = 'c'"), sql("SELECT count(*) FROM c"),
        sql("SELECT * FROM c ORDER BY v DESC LIMIT 2"), sql("UPDATE c SET v = 'z' WHERE id = 1"),
        sql("UPDATE c SET v = v || '!'"), sql("DELETE FROM c WHERE id = 4"), sql("DELETE FROM c"),
        sql("INSERT INTO c (v) SELECT 'x' FROM (SELECT 1 UNION ALL SELECT 2)"),
        sql("CREATE TABLE d (a UNIQUE, b)"), sql("INSERT INTO d VALUES (1, 2)"), sql("INSERT OR REPLACE INTO d VALUES (1, 3)"),
        sql("SELECT 1"), sql("DROP TABLE d"), sql("SELECT * FROM c", as_="cur"), get("$cur", "rowsRead"),
        call("$cur", "toArray"), get("$cur", "rowsRead"),
    ])
    add("limits", [
        sql("SELECT '" + "x" * 99_980 + "' AS v"), sql("SELECT '" + "x" * 100_001 + "' AS v"),
        sql("SELECT 'a' LIKE '" + "%" * 50 + "' AS v"), sql("SELECT 'a' LIKE '" + "%" * 51 + "' AS v"),
        sql("SELECT " + ", ".join(f"{i} AS c{i}" for i in range(101))),
        sql("SELECT " + ", ".join("?" for _ in range(100)) + " AS last", *range(100)),
        sql("SELECT " + ", ".join("?" for _ in range(101)) + " AS last", *range(101)),
        sql("SELECT length(?) AS n", repeat("x", 2_000_001)), sql("SELECT max(" + ", ".join(["1"] * 33) + ") AS m"),
    ])
    add("kv-sync", [
        call("kv", "put", "a", 1), call("kv", "get", "a"), call("kv", "get", "missing"), call("kv", "put", "b", {"x": 1.0}),
        call("kv", "get", "b"), call("kv", "delete", "a"), call("kv", "delete", "a"), call("kv", "list"),
        call("kv", "put", "k" * 2049, 1), call("kv", "put", "c"), st("get", "b"),
    ])
    add("ingest-prepare", [get("sql", "databaseSize"), sql("CREATE TABLE g (a)"), get("sql", "databaseSize")])
    return s



def sequences() -> list[dict]:
    return kv_api_sequences("sqlite") + kv_api_sequences("kv") + sql_sequences()
