"""Generated sequences: random but seeded (``random.Random(seed)``), so a rerun builds the same operations.

Each sequence mixes a binding's methods over a small pool of keys and values, so operations meet each
other's state (overwrites, deletes of what exists, lists over what was put, queries over inserted rows).
Values come from pools with the awkward cases in them: integral floats, ints near 2**53 and beyond,
NaN and infinities, empty and non-ASCII strings, bytes.
"""

from __future__ import annotations

import random

from conformance.ops import call, chain, sequence

DEFAULT_SEED = 20260801
COUNTS = {"kv": 40, "r2": 40, "d1": 40, "do-sqlite": 30, "do-kv": 30, "do-sql": 40}
OPS_PER_SEQUENCE = 25

KEYS = ["a", "b", "ab", "a/b", "a/c", "b/a", "\u00e9", "Z", "k1", "k10", "k2", " ", "a.b"]
NUMBERS = [0, 1, -1, 42, 2**31, 2**53 - 1, 2**53, 2**53 + 1, 2**63 - 1, -(2**63), 0.5, 1.0, -2.0, 3.14,
           1e21, 1e-7, float("inf"), float("-inf"), float("nan"), -0.0]
STRINGS = ["", "x", "hello", "h\u00e9llo", "\U0001f600", "a b", "0", "1.0", "null", "true", "{\"a\":1}", "x" * 300]


def _number(rng: random.Random):
    return rng.choice(NUMBERS)


def _scalar(rng: random.Random):
    kind = rng.randrange(6)
    if kind == 0:
        return _number(rng)
    if kind == 1:
        return rng.choice(STRINGS)
    if kind == 2:
        return rng.choice([True, False, None])
    if kind == 3:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(4)))
    return rng.choice(STRINGS) if kind == 4 else _number(rng)


def _structured(rng: random.Random, depth: int = 0):
    if depth > 2 or rng.random() < 0.5:
        return _scalar(rng)
    if rng.random() < 0.5:
        return [_structured(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(KEYS): _structured(rng, depth + 1) for _ in range(rng.randrange(4))}


def _json_safe(rng: random.Random, depth: int = 0):
    """A value JSON (metadata, queue json bodies) can hold without bytes."""
    value = _structured(rng, depth)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [v.hex() if isinstance(v, bytes) else v for v in value]
    if isinstance(value, dict):
        return {k: (v.hex() if isinstance(v, bytes) else v) for k, v in value.items()}
    return value


# -- KV ------------------------------------------------------------------------------------------------
def _kv_op(rng: random.Random) -> dict:
    key = rng.choice(KEYS)
    roll = rng.random()
    if roll < 0.35:
        value = rng.choice([rng.choice(STRINGS), rng.choice(STRINGS), bytes([rng.randrange(256)]) * 3,
                            str(_number(rng))])
        options = {}
        if rng.random() < 0.3:
            options["metadata"] = _json_safe(rng)
        if rng.random() < 0.2:
            options["expirationTtl"] = rng.choice([60, 120, 3600, 59, "300"])
        return call("KV", "put", key, value, **options)
    if roll < 0.6:
        kind = rng.choice([None, "text", "json", "arrayBuffer"])
        return call("KV", "get", key) if kind is None else call("KV", "get", key, kind)
    if roll < 0.7:
        return call("KV", "getWithMetadata", key, rng.choice(["text", "json"]))
    if roll < 0.8:
        return call("KV", "delete", key)
    if roll < 0.9:
        return call("KV", "get", rng.sample(KEYS, rng.randrange(1, 5)), rng.choice(["text", "json"]))
    options = {}
    if rng.random() < 0.5:
        options["prefix"] = rng.choice(["a", "a/", "b", "k", "\u00e9", "x"])
    if rng.random() < 0.5:
        options["limit"] = rng.choice([1, 2, 3, 1000])
    return call("KV", "list", **options)


# -- R2 ------------------------------------------------------------------------------------------------
def _r2_op(rng: random.Random) -> dict:
    key = rng.choice(KEYS)
    roll = rng.random()
    if roll < 0.35:
        options = {}
        if rng.random() < 0.3:
            options["customMetadata"] = {rng.choice(KEYS): rng.choice(STRINGS) for _ in range(rng.randrange(1, 3))}
        if rng.random() < 0.3:
            options["httpMetadata"] = {"contentType": rng.choice(["text/plain", "application/json", ""])}
        return call("BUCKET", "put", key, rng.choice(STRINGS + [b"\x00\x01\x02"]), **options)
    if roll < 0.55:
        options = {}
        if rng.random() < 0.4:
            options["range"] = rng.choice([{"offset": rng.randrange(6)}, {"offset": 1, "length": rng.randrange(4)},
                                           {"suffix": rng.randrange(1, 6)}, {"length": rng.randrange(1, 4)}])
        return call("BUCKET", "get", key, **options)
    if roll < 0.65:
        return call("BUCKET", "head", key)
    if roll < 0.75:
        return call("BUCKET", "delete", rng.choice([key, rng.sample(KEYS, 2)]))
    options = {}
    if rng.random() < 0.5:
        options["prefix"] = rng.choice(["a", "a/", "b", "k"])
    if rng.random() < 0.4:
        options["delimiter"] = "/"
    if rng.random() < 0.4:
        options["limit"] = rng.choice([1, 2, 5])
    if rng.random() < 0.3:
        options["startAfter"] = rng.choice(KEYS)
    if rng.random() < 0.3:
        options["include"] = rng.choice([["customMetadata"], ["httpMetadata"], ["httpMetadata", "customMetadata"]])
    return call("BUCKET", "list", **options)


# -- SQL (D1 and Durable Object SQL) -------------------------------------------------------------------
_EXPRESSIONS = ["a + b", "a * 2", "a / 2", "a || b", "typeof(a)", "typeof(b)", "abs(a)", "round(a)", "a = b",
                "coalesce(a, b)", "length(b)", "a % 3", "CAST(a AS INTEGER)", "CAST(a AS REAL)", "hex(b)",
                "a > 1", "max(a, 1)", "nullif(a, 0)", "b IS NULL", "a + 0.0", "-a", "json_quote(a)"]
_SQL_VALUES = [0, 1, -7, 2**31, 2**53, 2**53 + 1, 2**62, 1.0, 2.5, -0.0, 1e300, "", "x", "12", "2.0",
               "\u00e9", None, True, False, b"\x00\xff"]


def _sql_statement(rng: random.Random) -> tuple[str, list]:
    roll = rng.random()
    if roll < 0.35:
        return "INSERT INTO g (a, b) VALUES (?, ?)", [rng.choice(_SQL_VALUES), rng.choice(_SQL_VALUES)]
    if roll < 0.65:
        expression = rng.choice(_EXPRESSIONS)
        order = rng.choice(["", " ORDER BY id", " ORDER BY id DESC"])
        return f"SELECT id, {expression} AS x FROM g{order} LIMIT {rng.randrange(1, 6)}", []
    if roll < 0.75:
        return "UPDATE g SET a = ? WHERE id = ?", [rng.choice(_SQL_VALUES), rng.randrange(1, 6)]
    if roll < 0.82:
        return "DELETE FROM g WHERE id = ?", [rng.randrange(1, 8)]
    if roll < 0.9:
        left, right = rng.choice(_SQL_VALUES), rng.choice(_SQL_VALUES)
        return f"SELECT ? AS l, ? AS r, ? {rng.choice(['+', '-', '*', '/', '=', '<', '||'])} ? AS x", [left, right, left, right]
    return rng.choice(["SELECT count(*) AS n, sum(a) AS s, avg(a) AS v FROM g", "SELECT * FROM g WHERE a = ?"]), (
        [rng.choice(_SQL_VALUES)] if rng.random() < 0.5 else []
    )


_CREATE = "CREATE TABLE g (id INTEGER PRIMARY KEY, a, b)"


def _d1_op(rng: random.Random) -> dict:
    statement, binds = _sql_statement(rng)
    if "?" not in statement:
        binds = []
    method = rng.choice(["all", "run", "raw", "first"])
    steps = [("prepare", statement)] + ([("bind", *binds)] if binds else []) + [(method,)]
    return chain("DB", *steps)


def _do_sql_op(rng: random.Random) -> dict:
    statement, binds = _sql_statement(rng)
    if "?" not in statement:
        binds = []
    return call("sql", "exec", statement, *binds)


# -- Durable Object KV API -----------------------------------------------------------------------------
def _do_kv_op(rng: random.Random) -> dict:
    key = rng.choice(KEYS)
    roll = rng.random()
    if roll < 0.35:
        if rng.random() < 0.2:
            return call("storage", "put", {rng.choice(KEYS): _structured(rng) for _ in range(rng.randrange(1, 4))})
        return call("storage", "put", key, _structured(rng))
    if roll < 0.6:
        return call("storage", "get", rng.choice([key, rng.sample(KEYS, rng.randrange(1, 4))]))
    if roll < 0.7:
        return call("storage", "delete", rng.choice([key, rng.sample(KEYS, 2)]))
    options = {}
    for name, choices in (("prefix", ["a", "b", "k", ""]), ("start", KEYS), ("end", KEYS), ("startAfter", KEYS),
                          ("limit", [1, 2, 5]), ("reverse", [True, False])):
        if rng.random() < 0.25:
            options[name] = rng.choice(choices)
    return call("storage", "list", **options)


def sequences(seed: int = DEFAULT_SEED) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for binding, count in COUNTS.items():
        for number in range(count):
            sid = f"gen-{binding}-{number:03d}"
            if binding == "kv":
                out.append(sequence(sid, "kv", [_kv_op(rng) for _ in range(OPS_PER_SEQUENCE)]))
            elif binding == "r2":
                out.append(sequence(sid, "r2", [_r2_op(rng) for _ in range(OPS_PER_SEQUENCE)]))
            elif binding == "d1":
                ops = [chain("DB", ("prepare", _CREATE), ("run",))] + [_d1_op(rng) for _ in range(OPS_PER_SEQUENCE)]
                out.append(sequence(sid, "d1", ops))
            elif binding == "do-sql":
                ops = [call("sql", "exec", _CREATE)] + [_do_sql_op(rng) for _ in range(OPS_PER_SEQUENCE)]
                out.append(sequence(sid, "do-sql", ops, object="SQL_OBJECT"))
            else:
                namespace = "SQL_OBJECT" if binding == "do-sqlite" else "KV_OBJECT"
                out.append(sequence(sid, binding, [_do_kv_op(rng) for _ in range(OPS_PER_SEQUENCE)], object=namespace))
    return out


__all__ = ["DEFAULT_SEED", "sequences"]
