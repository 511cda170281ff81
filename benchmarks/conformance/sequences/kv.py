"""KV: every method, every limit and error path (keys, values, metadata, TTLs, list, bulk get, cacheTtl)."""

from __future__ import annotations

from conformance.ops import call, now_plus, ref_field, repeat, sequence

MIB = 1024 * 1024


def kv(*args, **kwargs):
    return call("KV", *args, **kwargs)


def sequences() -> list[dict]:
    s = []

    def add(name, ops, heavy=False):
        s.append(sequence(f"kv-{name}", "kv", ops, heavy=heavy))

    add("basic", [
        kv("put", "a", "1"), kv("get", "a"), kv("get", "a", "text"), kv("get", "a", "json"),
        kv("get", "a", "arrayBuffer"), kv("get", "a", "stream"), kv("get", "a", type="json"),
        kv("get", "a", {"type": "arrayBuffer"}), kv("getWithMetadata", "a"), kv("getWithMetadata", "a", "json"),
        kv("get", "missing"), kv("getWithMetadata", "missing"), kv("delete", "a"), kv("get", "a"),
        kv("delete", "missing"), kv("get", "a", "yaml"), kv("get", "a", type="yaml"),
    ])
    add("json-values", [
        kv("put", "j", '{"a": 1, "b": [1.5, true, null], "c": 1.0}'), kv("get", "j", "json"),
        kv("put", "big", "12345678901234567890"), kv("get", "big", "json"),
        kv("put", "f", "2.0"), kv("get", "f", "json"), kv("put", "bad", "{"), kv("get", "bad", "json"),
        kv("put", "neg0", "-0"), kv("get", "neg0", "json"), kv("put", "e", "1e400"), kv("get", "e", "json"),
    ])
    add("value-types", [
        kv("put", "none", None), kv("get", "none"),
        kv("put", "int", 42), kv("get", "int"),
        kv("put", "float", 1.5), kv("get", "float"),
        kv("put", "intfloat", 2.0), kv("get", "intfloat"),
        kv("put", "bool", True), kv("get", "bool"),
        kv("put", "dict", {"a": 1}), kv("get", "dict"),
        kv("put", "list", [1, 2]), kv("get", "list"),
        kv("put", "bytes", b"\x00\xffab"), kv("get", "bytes", "arrayBuffer"), kv("get", "bytes"),
        kv("put", "empty", ""), kv("get", "empty"), kv("getWithMetadata", "empty"),
        kv("put", "emptyb", b""), kv("get", "emptyb", "arrayBuffer"),
        kv("put", "unicode", "h\u00e9llo \U0001f600"), kv("get", "unicode"), kv("get", "unicode", "arrayBuffer"),
        kv("put", "surrogate", "a\ud800b"), kv("get", "surrogate"),
    ])
    add("keys", [
        kv("put", "", "v"), kv("get", ""), kv("delete", ""), kv("getWithMetadata", ""),
        kv("put", ".", "v"), kv("put", "..", "v"), kv("get", "."), kv("delete", ".."),
        kv("put", "...", "v"), kv("get", "..."),
        kv("put", "k" * 512, "v"), kv("get", "k" * 512), kv("put", "k" * 513, "v"), kv("get", "k" * 513),
        kv("delete", "k" * 513), kv("getWithMetadata", "k" * 513),
        kv("put", "\u00e9" * 256, "v"), kv("put", "\u00e9" * 257, "v"), kv("get", "\u00e9" * 257),
        kv("put", 1, "one"), kv("get", 1), kv("get", "1"), kv("put", 1.5, "x"), kv("get", "1.5"),
        kv("put", True, "t"), kv("get", "true"), kv("put", None, "n"), kv("get", "null"),
        kv("put", "a/b", "v"), kv("put", "a\x00b", "nul"), kv("get", "a\x00b"),
        kv("put", "\ud800", "lone"), kv("get", "\ufffd"), kv("put", " ", "space"), kv("get", " "),
        kv("list"),
    ])
    add("value-size", heavy=True, ops=[
        kv("put", "max", repeat("x", 25 * MIB)), kv("put", "over", repeat("x", 25 * MIB + 1)), kv("get", "over"),
    ])
    add("metadata", [
        kv("put", "m", "v", metadata={"a": 1, "b": [1, 2.5], "c": None}), kv("getWithMetadata", "m"),
        kv("put", "m2", "v", {"metadata": {"x": "y"}}), kv("getWithMetadata", "m2"),
        kv("put", "m3", "v", metadata="text"), kv("getWithMetadata", "m3"),
        kv("put", "m4", "v", metadata=5), kv("getWithMetadata", "m4"),
        kv("put", "m5", "v", metadata=None), kv("getWithMetadata", "m5"),
        kv("put", "m6", "v", metadata={"f": 1.0, "g": float("inf"), "h": float("nan")}), kv("getWithMetadata", "m6"),
        kv("put", "m7", "v", metadata={"s": "x" * 1014}), kv("getWithMetadata", "m7", "text"),
        kv("put", "m8", "v", metadata={"s": "x" * 1015}),
        kv("put", "m9", "v", metadata=[]), kv("getWithMetadata", "m9"),
        kv("put", "m10", "v", metadata=True), kv("getWithMetadata", "m10"),
        kv("put", "m11", "v", metadata={"big": 2**60}),
        kv("list"),
    ])
    add("ttl", [
        kv("put", "t60", "v", expirationTtl=60), kv("put", "t59", "v", expirationTtl=59),
        kv("put", "t0", "v", expirationTtl=0), kv("put", "tneg", "v", expirationTtl=-1),
        kv("put", "tstr", "v", expirationTtl="120"), kv("put", "tbad", "v", expirationTtl="abc"),
        kv("put", "tfloat", "v", expirationTtl=90.7), kv("put", "tbig", "v", expirationTtl=2**31),
        kv("put", "tnone", "v", expirationTtl=None), kv("put", "tnan", "v", expirationTtl=float("nan")),
        kv("put", "tinf", "v", expirationTtl=float("inf")),
        kv("put", "tboth", "v", expiration=now_plus(600), expirationTtl=120),
        kv("put", "tdict", "v", {"expirationTtl": 300}),
        kv("list"),
    ])
    add("expiration", [
        kv("put", "e120", "v", expiration=now_plus(120)), kv("put", "e30", "v", expiration=now_plus(30)),
        kv("put", "epast", "v", expiration=now_plus(-10)), kv("put", "e0", "v", expiration=0),
        kv("put", "estr", "v", expiration="abc"), kv("put", "eneg", "v", expiration=-5),
        kv("put", "efloat", "v", expiration=1.5),
        kv("list"), kv("getWithMetadata", "e120"),
    ])
    add("list", [
        kv("put", "b", "1"), kv("put", "a", "1"), kv("put", "c/1", "1"), kv("put", "c/2", "1"), kv("put", "C", "1"),
        kv("put", "\u00e9", "1"), kv("put", "z", "1", metadata={"m": 1}),
        kv("list"), kv("list", prefix="c/"), kv("list", prefix="c"), kv("list", prefix="x"),
        kv("list", prefix=""), kv("list", {"prefix": "c/"}),
        kv("list", limit=2), kv("list", limit=1), kv("list", limit=1000), kv("list", limit=1001),
        kv("list", limit=0), kv("list", limit=-1), kv("list", limit="2"), kv("list", limit="abc"),
        kv("list", limit=2.9), kv("list", limit=None), kv("list", prefix=None),
        kv("list", limit=2, cursor="Yg=="), kv("list", cursor="not base64!"), kv("list", cursor=""),
        kv("list", prefix=5), kv("list", cursor=5), kv("list", limit=2, prefix="c/", cursor="YQ=="),
        kv("list", prefix="k" * 513),
    ])
    add("list-paging", [
        *[kv("put", f"key-{i:03d}", str(i)) for i in range(25)],
        kv("list", limit=10, as_="p1"),
        kv("list", limit=10, cursor=ref_field("p1", "cursor")),
        kv("list", limit=10, cursor="a2V5LTAxOQ=="),
        kv("list", limit=10, cursor="a2V5LTAyNA=="),
    ])
    add("bulk-get", [
        kv("put", "a", "1"), kv("put", "b", '{"x": 2}'), kv("put", "c", "not json"),
        kv("get", ["a", "b", "missing"]), kv("get", ["a", "b"], "json"), kv("get", ["a", "c"], "json"),
        kv("get", ["a"], "arrayBuffer"), kv("get", ["a"], "stream"), kv("get", []),
        kv("get", [f"k{i}" for i in range(100)]), kv("get", [f"k{i}" for i in range(101)]),
        kv("getWithMetadata", ["a", "b", "missing"]), kv("getWithMetadata", ["a", "b"], "json"),
        kv("get", ["a", ""]), kv("get", ["a", "."]), kv("get", ["k" * 513]), kv("get", ["a", "a"]),
        kv("get", ["a", 1]), kv("get", ["a"], {"type": "json", "cacheTtl": 60}),
    ])
    add("cache-ttl", [
        kv("put", "a", "1"), kv("get", "a", cacheTtl=30), kv("get", "a", cacheTtl=29), kv("get", "a", cacheTtl=60),
        kv("get", "a", {"cacheTtl": 10}), kv("get", "a", cacheTtl="60"), kv("get", "a", cacheTtl=-1),
        kv("getWithMetadata", "a", cacheTtl=5), kv("get", "missing", cacheTtl=29), kv("get", "a", cacheTtl=None),
        kv("get", "a", type=None), kv("get", "a", {"type": None}), kv("get", "a", None),
    ])
    add("options", [
        kv("put", "a", "1", {"metadata": {"a": 1}, "expirationTtl": 3600}), kv("getWithMetadata", "a"),
        kv("put", "b", "1", "notoptions"), kv("put", "c", "1", 5), kv("get", "a", 5), kv("list", "prefix"),
        kv("get", "a", {"type": "text", "unknown": 1}), kv("put", "d", "1", unknownOption=1), kv("get", "d"),
    ])
    return s

