"""D1: prepared statements and their result shapes, bindings, numbers as JSON carries them, errors,
the authorizer, limits, batches, exec, meta counters, foreign keys, sessions."""

from __future__ import annotations

from conformance.ops import call, chain, kw, ref, repeat, sequence


def q(sql, *binds, method="all", **options):
    """``DB.prepare(sql).bind(*binds).<method>(**options)`` as one operation."""
    steps = [("prepare", sql)]
    if binds:
        steps.append(("bind", *binds))
    steps.append((method, kw(**options)) if options else (method,))
    return chain("DB", *steps)


def stmt(name, sql, *binds):
    steps = [("prepare", sql)] + ([("bind", *binds)] if binds else [])
    return chain("DB", *steps, as_=name)


def sequences() -> list[dict]:
    s = []

    def add(name, ops):
        s.append(sequence(f"d1-{name}", "d1", ops))

    add("basic", [
        q("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB)", method="run"),
        q("INSERT INTO t (name, score) VALUES (?, ?)", "ada", 1.5, method="run"),
        q("INSERT INTO t (name, score) VALUES (?1, ?2)", "bob", 2, method="run"),
        q("SELECT * FROM t"), q("SELECT * FROM t", method="first"), q("SELECT name FROM t", method="first"),
        q("SELECT * FROM t WHERE id = ?", 99, method="first"), q("SELECT * FROM t", method="raw"),
        q("SELECT * FROM t", method="raw", columnNames=True), q("SELECT * FROM t", method="run"),
        chain("DB", ("prepare", "SELECT name FROM t ORDER BY id"), ("first", "name")),
        chain("DB", ("prepare", "SELECT name FROM t"), ("first", "nope")),
        q("UPDATE t SET score = score + 1", method="run"), q("DELETE FROM t WHERE id = 1", method="run"),
        q("SELECT count(*) AS n FROM t", method="first"),
        q("SELECT * FROM t WHERE 0", method="raw", columnNames=True), q("SELECT * FROM t WHERE 0", method="first"),
    ])
    add("numbers", [
        q("SELECT 1 AS a, 1.0 AS b, 1.5 AS c, -0.0 AS d, 9007199254740993 AS e, 9223372036854775807 AS f"),
        q("SELECT 1e308 * 10 AS inf, -1e308 * 10 AS ninf, 0.1 + 0.2 AS sum, 2.5e-8 AS tiny"),
        q("SELECT ? AS a, ? AS b, ? AS c, typeof(?) AS d, typeof(?) AS e", 1, 1.0, 2.5, 1.0, 1),
        q("SELECT typeof(?1) AS t, ?1 AS v", 2**53),
        q("SELECT typeof(?1) AS t, ?1 AS v", 2**53 + 1),
        q("SELECT typeof(?1) AS t, ?1 AS v", -(2**63)),
        q("SELECT ? AS v", float("inf")), q("SELECT ? AS v", float("nan")),
        q("SELECT 1.0 AS v", method="raw"), q("SELECT 1.0 AS v", method="first"),
        chain("DB", ("prepare", "SELECT 1.0 AS v"), ("first", "v")),
        q("SELECT 12345678901234567 AS v", method="raw"),
        q("SELECT CAST(? AS INTEGER) AS v", "42"), q("SELECT '1' + 1 AS v"),
    ])
    add("bind-types", [
        q("SELECT ? AS v, typeof(?) AS t", True, True), q("SELECT ? AS v, typeof(?) AS t", False, False),
        q("SELECT ? AS v, typeof(?) AS t", None, None), q("SELECT ? AS v, typeof(?) AS t", b"\x00\x01", b"\x00\x01"),
        q("SELECT ? AS v", [1, 2]), q("SELECT ? AS v", {"a": 1}), q("SELECT ? AS v", {1, 2}),
        q("SELECT ? AS v, typeof(?) AS t", "", ""), q("SELECT ? AS v", "h\u00e9llo \U0001f600"),
        q("SELECT ? AS v", "a\ud800b"), q("SELECT length(?) AS n", b""),
        q("SELECT :a AS a, :b AS b", 1, 2), q("SELECT ?2 AS a, ?1 AS b", "one", "two"),
        q("SELECT @x AS x, $y AS y", 1, 2), q("SELECT ? AS a", 1, 2), q("SELECT ? AS a, ? AS b", 1),
        q("SELECT 1 AS a", 5), q("SELECT ?3 AS c", 1, 2, 3), q("SELECT ?3 AS c", 1),
        q("SELECT " + ", ".join("?" for _ in range(100)) + " AS last", *range(100)),
        q("SELECT " + ", ".join("?" for _ in range(101)) + " AS last", *range(101)),
        q("SELECT x'00ff' AS b"), q("SELECT zeroblob(3) AS z", method="raw"),
    ])
    add("errors", [
        q("SELEC 1"), q("SELECT * FROM nope"), q(""), q("   "), q("-- only a comment"), q(";"),
        q("SELECT 1; SELECT 2"), q("SELECT 1; SELECT ?", 5), q("SELECT ?; SELECT 2", 5),
        q("CREATE TABLE u (a UNIQUE NOT NULL, b CHECK (b > 0))", method="run"),
        q("INSERT INTO u VALUES (1, 1)", method="run"), q("INSERT INTO u VALUES (1, 1)", method="run"),
        q("INSERT INTO u VALUES (NULL, 1)", method="run"), q("INSERT INTO u VALUES (2, 0)", method="run"),
        q("SELECT nope FROM u"), q("SELECT * FROM u WHERE", method="run"), q("SELECT 1 +"),
        q("SELECT abs(-9223372036854775808)"), q("SELECT json('not json')"),
        q("INSERT INTO u VALUES (?, ?)", 3, method="run"), q("SELECT 'unterminated"),
    ])
    add("authorizer", [
        q("BEGIN TRANSACTION"), q("BEGIN"), q("COMMIT"), q("ROLLBACK"), q("SAVEPOINT a"), q("RELEASE a"),
        q("ATTACH DATABASE ':memory:' AS other"), q("DETACH DATABASE other"),
        q("SELECT sqlite_version() AS v"), q("SELECT load_extension('x')"), q("VACUUM"),
        q("PRAGMA foreign_keys"), q("PRAGMA table_list", method="raw"), q("PRAGMA journal_mode"),
        q("PRAGMA user_version"), q("PRAGMA user_version = 5"), q("PRAGMA cache_size"),
        q("PRAGMA defer_foreign_keys = ON"), q("PRAGMA optimize"), q("PRAGMA quick_check"),
        q("PRAGMA table_info(nope)"), q("PRAGMA writable_schema = ON"), q("PRAGMA compile_options"),
        q("CREATE TEMP TABLE tmp (a)"), q("CREATE TABLE _cf_x (a)"), q("SELECT * FROM _cf_KV"),
        q("SELECT * FROM _cf_METADATA"), q("CREATE TABLE \"_CF_y\" (a)"),
        q("SELECT name FROM sqlite_master", method="raw"), q("SELECT random() IS NOT NULL AS ok"),
        q("CREATE VIRTUAL TABLE f USING fts5(body)", method="run"), q("CREATE VIRTUAL TABLE r USING rtree(id, a, b)"),
        q("CREATE VIRTUAL TABLE x USING csv(data)"), q("SELECT * FROM pragma_table_list", method="raw"),
        q("SELECT sqlite_source_id()"), q("SELECT sqlite_compileoption_used('X')"),
        q("SELECT changes(), total_changes(), last_insert_rowid()", method="raw"),
        q("DROP TABLE f", method="run"), q("DROP TABLE r", method="run"),
    ])
    add("limits", [
        q("SELECT '" + "x" * 99_980 + "' AS v", method="raw"),
        q("SELECT '" + "x" * 100_001 + "' AS v", method="raw"),
        q("SELECT 'a' LIKE '" + "%" * 50 + "' AS v"), q("SELECT 'a' LIKE '" + "%" * 51 + "' AS v"),
        q("SELECT " + ", ".join(f"{i} AS c{i}" for i in range(100)), method="raw"),
        q("SELECT " + ", ".join(f"{i} AS c{i}" for i in range(101)), method="raw"),
        q(" UNION ".join(["SELECT 1"] * 5)), q(" UNION ".join(["SELECT 1"] * 6)),
        q("SELECT " + "(" * 100 + "1" + ")" * 100 + " AS v"), q("SELECT " + "-" * 101 + "1 AS v"),
        q("SELECT length(?) AS n", repeat("x", 2_000_000)), q("SELECT length(?) AS n", repeat("x", 2_000_001)),
        q("SELECT length(zeroblob(2000001)) AS n"), q("SELECT max(" + ", ".join(["1"] * 33) + ") AS m"),
    ])
    add("meta", [
        q("CREATE TABLE m (id INTEGER PRIMARY KEY, v TEXT UNIQUE)", method="run"),
        q("INSERT INTO m (v) VALUES ('a'), ('b'), ('c')", method="run"),
        q("SELECT * FROM m", method="run"), q("SELECT * FROM m WHERE id = 2", method="run"),
        q("SELECT * FROM m WHERE v = 'b'", method="run"), q("SELECT count(*) FROM m", method="run"),
        q("UPDATE m SET v = v || 'x' WHERE id > 1", method="run"), q("DELETE FROM m WHERE id = 3", method="run"),
        q("DELETE FROM m", method="run"), q("INSERT INTO m (v) VALUES (?)", "z", method="run"),
        q("SELECT 1", method="run"), q("CREATE INDEX mv ON m (v)", method="run"), q("DROP TABLE m", method="run"),
    ])
    add("foreign-keys", [
        q("CREATE TABLE parent (id INTEGER PRIMARY KEY)", method="run"),
        q("CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent(id) ON DELETE CASCADE)", method="run"),
        q("INSERT INTO parent VALUES (1)", method="run"), q("INSERT INTO child VALUES (1, 1)", method="run"),
        q("INSERT INTO child VALUES (2, 99)", method="run"), q("DELETE FROM parent", method="run"),
        q("SELECT count(*) AS n FROM child", method="first"),
    ])
    add("batch", [
        q("CREATE TABLE b (a INTEGER UNIQUE)", method="run"),
        stmt("s1", "INSERT INTO b VALUES (?)", 1), stmt("s2", "INSERT INTO b VALUES (?)", 2),
        stmt("dup", "INSERT INTO b VALUES (?)", 1), stmt("sel", "SELECT * FROM b"),
        call("DB", "batch", [ref("s1"), ref("s2"), ref("sel")]),
        call("DB", "batch", [ref("dup")]), q("SELECT count(*) AS n FROM b", method="first"),
        stmt("s3", "INSERT INTO b VALUES (?)", 3), call("DB", "batch", [ref("s3"), ref("dup")]),
        q("SELECT count(*) AS n FROM b", method="first"), call("DB", "batch", []),
        call("DB", "batch", ["SELECT 1"]), stmt("bad", "SELEC"), call("DB", "batch", [ref("bad")]),
        stmt("begin", "BEGIN"), call("DB", "batch", [ref("sel"), ref("begin")]),
        stmt("multi", "SELECT 1; SELECT 2"), call("DB", "batch", [ref("multi")]),
    ])
    add("exec", [
        call("DB", "exec", "CREATE TABLE e (a);\nINSERT INTO e VALUES (1);\nINSERT INTO e VALUES (2);"),
        q("SELECT count(*) AS n FROM e", method="first"),
        call("DB", "exec", "INSERT INTO e VALUES (3);\nSELEC nope;\nINSERT INTO e VALUES (4);"),
        q("SELECT count(*) AS n FROM e", method="first"), call("DB", "exec", ""), call("DB", "exec", "\n\n"),
        call("DB", "exec", "SELECT 1; SELECT 2;"), call("DB", "exec", "BEGIN;"), call("DB", "exec", "  SELECT 1  "),
        call("DB", "exec", "INSERT INTO e VALUES (5)\n;"), call("DB", "exec", 5),
    ])
    add("sessions", [
        q("CREATE TABLE s (a)", method="run"),
        chain("DB", ("withSession",), ("prepare", "SELECT 1 AS one"), ("first",)),
        chain("DB", ("withSession", "first-primary"), ("prepare", "SELECT 1 AS one"), ("first",)),
        chain("DB", ("withSession", "first-unconstrained"), ("getBookmark",)),
        chain("DB", ("withSession", "first-primary"), ("getBookmark",)),
        chain("DB", ("withSession", ""), ("getBookmark",)), chain("DB", ("withSession", "bogus"), ("getBookmark",)),
        chain("DB", ("withSession", 5), ("getBookmark",)),
    ])
    add("values", [
        q("CREATE TABLE v (a)", method="run"),
        q("INSERT INTO v VALUES (?), (?), (?), (?), (?)", 1, 2.5, "x", None, b"\x01\x02", method="run"),
        q("SELECT a, typeof(a) AS t FROM v"), q("SELECT a FROM v", method="raw"),
        q("SELECT json_object('a', 1, 'b', 2.0) AS j"), q("SELECT json_extract('{\"a\": 1.0}', '$.a') AS j"),
        q("SELECT NULL AS n, '' AS e"), q("SELECT 1 AS a, 2 AS a"), q("SELECT 1 AS a, 2 AS a", method="raw"),
        q("SELECT 1 AS \"\""), q("SELECT 1", method="first"),
    ])
    add("dump", [call("DB", "dump")])
    return s
