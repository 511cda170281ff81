"""R2: objects, keys, metadata, checksums, ranges, conditionals, list, batch delete, multipart uploads."""

from __future__ import annotations

import hashlib

from conformance.ops import call, date, filled, get, ref, ref_field, repeat, sequence

MIB = 1024 * 1024
PAST = 946684800000  # 2000-01-01, as epoch milliseconds
FUTURE = 4102444800000  # 2100-01-01


def r2(*args, **kwargs):
    return call("BUCKET", *args, **kwargs)


def sequences() -> list[dict]:
    s = []

    def add(name, ops, heavy=False):
        s.append(sequence(f"r2-{name}", "r2", ops, heavy=heavy))

    add("basic", [
        r2("put", "a", "hello"), r2("get", "a"), r2("head", "a"), r2("get", "missing"), r2("head", "missing"),
        r2("put", "b", b"\x00\x01\x02"), r2("get", "b"), r2("put", "empty", ""), r2("get", "empty"),
        r2("put", "none", None), r2("get", "none"), r2("delete", "a"), r2("get", "a"), r2("delete", "missing"),
        r2("delete", ["b", "empty", "nope"]), r2("list"), r2("put", "u", "h\u00e9llo \U0001f600"), r2("get", "u"),
        r2("get", "u", as_="body"), call("$body", "text"), call("$body", "text"),
        r2("get", "u", as_="body2"), call("$body2", "json"),
        r2("put", "j", '{"a": [1, 2.0]}', as_="put"), r2("get", "j", as_="body3"), call("$body3", "json"),
        r2("get", "j", as_="body4"), call("$body4", "arrayBuffer"), call("$body4", "arrayBuffer"),
        r2("get", "j", as_="body5"), call("$body5", "bytes"), r2("get", "j", as_="body6"), call("$body6", "blob"),
    ])
    add("value-types", [
        r2("put", "int", 5), r2("put", "dict", {"a": 1}), r2("put", "list", [1]), r2("put", "float", 1.5),
        r2("put", "bool", True), r2("get", "int"), r2("get", "dict"), r2("get", "bool"),
    ])
    add("keys", [
        r2("put", "", "v"), r2("get", ""), r2("head", ""), r2("delete", ""),
        r2("put", "k" * 1024, "v"), r2("head", "k" * 1024), r2("put", "k" * 1025, "v"), r2("get", "k" * 1025),
        r2("head", "k" * 1025), r2("delete", "k" * 1025), r2("put", "\u00e9" * 512, "v"),
        r2("put", "\u00e9" * 513, "v"), r2("put", 1, "one"), r2("get", "1"), r2("put", ".", "dot"), r2("get", "."),
        r2("put", "..", "v"), r2("put", "a/../b", "v"), r2("put", "/lead", "v"), r2("put", "a\x00b", "v"),
        r2("put", "\ud800", "lone"), r2("head", "\ufffd"), r2("list"),
    ])
    add("custom-metadata", [
        r2("put", "a", "v", customMetadata={"k": "v", "n": "1"}), r2("head", "a"),
        r2("put", "b", "v", customMetadata={"n": 1, "f": 1.5, "t": True, "none": None}), r2("head", "b"),
        r2("put", "c", "v", customMetadata={"d": {"x": 1}, "l": [1, 2]}), r2("head", "c"),
        r2("put", "d", "v", customMetadata={"k": "x" * 2047}), r2("put", "e", "v", customMetadata={"k": "x" * 2048}),
        r2("put", "f", "v", customMetadata={"k" * 1024: "x" * 1024}), r2("put", "g", "v", customMetadata="text"),
        r2("put", "h", "v", customMetadata=None), r2("head", "h"), r2("put", "i", "v", customMetadata={}),
        r2("head", "i"), r2("put", "j", "v", customMetadata={"\u00e9": "\u00e9" * 1022}),
        r2("put", "k", "v", customMetadata={"\u00e9": "\u00e9" * 1023}),
    ])
    add("http-metadata", [
        r2("put", "a", "v", httpMetadata={"contentType": "text/plain", "contentLanguage": "en",
                                         "contentDisposition": "inline", "contentEncoding": "identity",
                                         "cacheControl": "no-cache", "cacheExpiry": date(FUTURE)}),
        r2("head", "a"),
        r2("put", "b", "v", httpMetadata={"cacheExpiry": "Wed, 21 Oct 2015 07:28:00 GMT"}), r2("head", "b"),
        r2("put", "c", "v", httpMetadata={"cacheExpiry": FUTURE}), r2("head", "c"),
        r2("put", "d", "v", httpMetadata={"contentType": 5}), r2("head", "d"),
        r2("put", "e", "v", httpMetadata={"unknown": "x"}), r2("head", "e"),
        r2("put", "f", "v", httpMetadata={}), r2("head", "f"),
        r2("put", "g", "v", httpMetadata=None), r2("head", "g"),
        r2("put", "h", "v", httpMetadata={"contentType": "text/plain\n"}),
        r2("put", "i", "v", httpMetadata={"contentType": ""}), r2("head", "i"),
        r2("put", "j", "v", httpMetadata={"cacheExpiry": "not a date"}),
    ])
    data = b"hello world"
    add("checksums", [
        r2("put", "md5", data, md5=hashlib.md5(data).hexdigest()), r2("head", "md5"),
        r2("put", "md5b", data, md5=hashlib.md5(data).digest()), r2("put", "md5bad", data, md5="0" * 32),
        r2("put", "md5short", data, md5="abc"), r2("put", "sha1", data, sha1=hashlib.sha1(data).hexdigest()),
        r2("head", "sha1"), r2("put", "sha256", data, sha256=hashlib.sha256(data).hexdigest()), r2("head", "sha256"),
        r2("put", "sha384", data, sha384=hashlib.sha384(data).hexdigest()),
        r2("put", "sha512", data, sha512=hashlib.sha512(data).hexdigest()), r2("head", "sha512"),
        r2("put", "sha1bad", data, sha1="0" * 40), r2("put", "sha256bad", data, sha256="0" * 64),
        r2("put", "two", data, md5=hashlib.md5(data).hexdigest(), sha1=hashlib.sha1(data).hexdigest()),
        r2("put", "md5upper", data, md5=hashlib.md5(data).hexdigest().upper()), r2("put", "md5num", data, md5=5),
        r2("list"),
    ])
    add("ranges", [
        r2("put", "r", "0123456789"),
        r2("get", "r", range={"offset": 2, "length": 3}), r2("get", "r", range={"offset": 7}),
        r2("get", "r", range={"length": 4}), r2("get", "r", range={"suffix": 3}),
        r2("get", "r", range={"offset": 0, "length": 0}), r2("get", "r", range={"offset": 10}),
        r2("get", "r", range={"offset": 11}), r2("get", "r", range={"offset": 5, "length": 100}),
        r2("get", "r", range={"suffix": 100}), r2("get", "r", range={"suffix": 0}),
        r2("get", "r", range={"offset": -1}), r2("get", "r", range={"offset": "2", "length": "3"}),
        r2("get", "r", range={"offset": 1.5, "length": 2}), r2("get", "r", range={}),
        r2("get", "r", range={"offset": 1, "suffix": 2}), r2("get", "r", range={"length": -1}),
        r2("get", "r", range="bytes=2-4"), r2("get", "r", range={"offset": 2**53}),
        r2("get", "r", range={"suffix": 3}, onlyIf={"etagMatches": "nope"}),
        r2("get", "missing", range={"offset": 1}),
        r2("put", "empty", ""), r2("get", "empty", range={"offset": 0}), r2("get", "empty", range={"suffix": 1}),
    ])
    add("conditionals", [
        r2("put", "c", "body", as_="obj"),
        r2("get", "c", onlyIf={"etagMatches": ref_field("obj", "etag")}),
        r2("get", "c", onlyIf={"etagMatches": "nope"}),
        r2("get", "c", onlyIf={"etagDoesNotMatch": ref_field("obj", "etag")}),
        r2("get", "c", onlyIf={"etagDoesNotMatch": "nope"}),
        r2("get", "c", onlyIf={"etagMatches": "*"}), r2("get", "c", onlyIf={"etagDoesNotMatch": "*"}),
        r2("get", "c", onlyIf={"uploadedBefore": date(PAST)}), r2("get", "c", onlyIf={"uploadedBefore": date(FUTURE)}),
        r2("get", "c", onlyIf={"uploadedAfter": date(PAST)}), r2("get", "c", onlyIf={"uploadedAfter": date(FUTURE)}),
        r2("get", "c", onlyIf={"etagMatches": "nope", "uploadedAfter": date(PAST)}),
        r2("get", "c", onlyIf={"etagMatches": ref_field("obj", "httpEtag")}),
        r2("get", "c", onlyIf={"etagMatches": '"nope"'}), r2("get", "c", onlyIf={"uploadedBefore": "2000-01-01"}),
        r2("get", "c", onlyIf={"uploadedBefore": PAST}),
        r2("put", "c", "new", onlyIf={"etagMatches": "nope"}), r2("get", "c"),
        r2("put", "c", "new", onlyIf={"etagDoesNotMatch": "nope"}), r2("get", "c"),
        r2("put", "d", "new", onlyIf={"etagMatches": "x"}), r2("head", "d"),
        r2("put", "e", "new", onlyIf={"uploadedBefore": date(FUTURE)}), r2("head", "e"),
        r2("get", "c", onlyIf={"etagMatches": ["a", "b"]}), r2("get", "missing", onlyIf={"etagMatches": "x"}),
        r2("get", "c", onlyIf={"secondsGranularity": True, "uploadedAfter": date(PAST)}),
        r2("get", "c", onlyIf={"etagMatches": "W/\"x\""}),
    ])
    add("list", [
        *[r2("put", k, "v", customMetadata={"k": k}, httpMetadata={"contentType": "text/x"})
          for k in ("a", "b/1", "b/2", "b/c/3", "c", "d\u00e9", "B")],
        r2("list"), r2("list", prefix="b/"), r2("list", delimiter="/"), r2("list", prefix="b/", delimiter="/"),
        r2("list", limit=2), r2("list", limit=0), r2("list", limit=1001), r2("list", limit=-1),
        r2("list", limit="2"), r2("list", startAfter="b/1"), r2("list", startAfter="z"),
        r2("list", include=["httpMetadata"]), r2("list", include=["customMetadata"]),
        r2("list", include=["httpMetadata", "customMetadata"]), r2("list", include=["bogus"]),
        r2("list", limit=2, as_="page1"), r2("list", limit=2, cursor=ref_field("page1", "cursor")),
        r2("list", cursor="garbage"), r2("list", prefix="b/", startAfter="b/1"),
        r2("list", delimiter="/", limit=1), r2("list", delimiter=""), r2("list", prefix=5),
        r2("list", {"prefix": "b/"}),
    ])
    add("delete-many", [
        r2("put", "a", "1"), r2("delete", [f"k{i}" for i in range(1000)]),
        r2("delete", [f"k{i}" for i in range(1001)]), r2("delete", []), r2("delete", ["a", "a"]),
        r2("delete", ["k" * 1025]), r2("delete", [1]),
    ])
    add("overwrite", [
        r2("put", "a", "one", customMetadata={"v": "1"}, as_="first"), r2("put", "a", "two"), r2("get", "a"),
        r2("get", "a", onlyIf={"etagMatches": ref_field("first", "etag")}),
    ])
    add("large", heavy=True, ops=[
        r2("put", "big", filled(65, 3 * MIB)), r2("head", "big"),
        r2("get", "big", range={"offset": 3 * MIB - 5}), r2("get", "big", range={"suffix": 2}),
        r2("put", "str", repeat("ab", MIB)), r2("head", "str"),
    ])

    # -- multipart ---------------------------------------------------------------------------------
    part5 = filled(97, 5 * MIB)
    add("multipart", heavy=True, ops=[
        r2("createMultipartUpload", "m", customMetadata={"a": "b"}, httpMetadata={"contentType": "text/x"}, as_="up"),
        get("$up", "key"),
        call("$up", "uploadPart", 1, part5, as_="p1"), call("$up", "uploadPart", 2, "tail", as_="p2"),
        call("$up", "complete", [ref("p1"), ref("p2")]), r2("head", "m"),
        r2("get", "m", range={"offset": 5 * MIB - 2, "length": 6}),
        r2("get", "m", range={"suffix": 3}),
    ])
    add("multipart-errors", [
        r2("createMultipartUpload", "m", as_="up"),
        call("$up", "uploadPart", 1, "small", as_="p1"), call("$up", "uploadPart", 2, "tail", as_="p2"),
        call("$up", "complete", [ref("p1"), ref("p2")]),
        r2("createMultipartUpload", "n", as_="up2"),
        call("$up2", "uploadPart", 0, "x"), call("$up2", "uploadPart", 10001, "x"), call("$up2", "uploadPart", 10000, "x"),
        call("$up2", "uploadPart", -1, "x"), call("$up2", "uploadPart", 1.5, "x"), call("$up2", "uploadPart", "2", "x"),
        call("$up2", "complete", []), call("$up2", "complete", [{"partNumber": 1, "etag": "nope"}]),
        call("$up2", "abort"), call("$up2", "abort"), call("$up2", "uploadPart", 1, "x"),
        call("$up2", "complete", [{"partNumber": 1, "etag": "x"}]),
        r2("resumeMultipartUpload", "n", "bogus-id", as_="up3"), call("$up3", "uploadPart", 1, "x"),
        call("$up3", "abort"), call("$up3", "complete", []),
        r2("createMultipartUpload", "k" * 1025), r2("createMultipartUpload", ""),
        r2("createMultipartUpload", "o", customMetadata={"k": "x" * 2048}),
    ])
    add("multipart-sizes", heavy=True, ops=[
        r2("createMultipartUpload", "m", as_="up"),
        call("$up", "uploadPart", 1, part5, as_="p1"), call("$up", "uploadPart", 2, filled(98, 5 * MIB + 1), as_="p2"),
        call("$up", "uploadPart", 3, "end", as_="p3"),
        call("$up", "complete", [ref("p1"), ref("p2"), ref("p3")]),
        call("$up", "complete", [ref("p1"), ref("p3")]), r2("head", "m"),
        r2("createMultipartUpload", "n", as_="u2"), call("$u2", "uploadPart", 1, "only", as_="q1"),
        call("$u2", "complete", [ref("q1")]), r2("get", "n"),
        r2("createMultipartUpload", "o", as_="u3"), call("$u3", "uploadPart", 2, part5, as_="r2"),
        call("$u3", "uploadPart", 1, part5, as_="r1"), call("$u3", "complete", [ref("r2"), ref("r1")]),
        r2("head", "o"), call("$u3", "complete", [ref("r1"), ref("r2")]),
        r2("createMultipartUpload", "p", as_="u4"), call("$u4", "uploadPart", 1, "a", as_="s1"),
        call("$u4", "uploadPart", 1, "b", as_="s1b"), call("$u4", "complete", [ref("s1")]),
        call("$u4", "complete", [ref("s1b")]), r2("get", "p"),
        r2("createMultipartUpload", "q", as_="u5"), call("$u5", "uploadPart", 1, "x", as_="t1"),
        call("$u5", "complete", [ref("t1"), ref("t1")]),
        r2("createMultipartUpload", "r", as_="u6"), call("$u6", "uploadPart", 1, "", as_="v1"),
        call("$u6", "complete", [ref("v1")]), r2("head", "r"),
    ])
    add("multipart-resume", [
        r2("createMultipartUpload", "m", as_="up"), call("$up", "uploadPart", 1, "x", as_="p1"),
        r2("resumeMultipartUpload", "m", ref_field("up", "uploadId"), as_="again"),
        call("$again", "complete", [ref("p1")]), r2("get", "m"),
        r2("resumeMultipartUpload", "other", ref_field("up", "uploadId"), as_="wrong"),
        call("$wrong", "uploadPart", 1, "x"),
    ])
    return s

