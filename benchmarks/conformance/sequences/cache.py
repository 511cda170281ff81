"""The Cache API (caches.default and caches.open): put, match, delete, what is stored and what refused."""

from __future__ import annotations

from conformance.ops import call as _call
from conformance.ops import request, response, sequence


def call(*args, **kwargs):
    return _call(*args, raw=True, **kwargs)  # WebSockets and caches are plain JavaScript objects to Python


def sequences() -> list[dict]:
    s = []
    base = "https://conformance.example/"

    def add(name, ops):
        s.append(sequence(f"cache-{name}", "cache", ops))

    def url(name, path):
        return f"{base}{name}/{path}"

    u = lambda p: url("basic", p)  # noqa: E731
    add("basic", [
        call("cache", "match", u("a")),
        call("cache", "put", u("a"), response("hello", headers={"cache-control": "max-age=60"})),
        call("cache", "match", u("a")), call("cache", "match", request(u("a"))),
        call("cache", "match", request(u("a"), method="POST")),
        call("cache", "match", request(u("a"), method="POST"), ignoreMethod=True),
        call("cache", "delete", u("a")), call("cache", "delete", u("a")), call("cache", "match", u("a")),
    ])
    u = lambda p: url("refused", p)  # noqa: E731
    add("refused", [
        call("cache", "put", request(u("post"), method="POST"), response("x", headers={"cache-control": "max-age=60"})),
        call("cache", "put", u("206"), response("x", status=206, headers={"cache-control": "max-age=60"})),
        call("cache", "put", u("vary"), response("x", headers={"vary": "*", "cache-control": "max-age=60"})),
        call("cache", "put", u("304"), response(None, status=304, headers={"cache-control": "max-age=60"})),
        call("cache", "match", u("304")),
        call("cache", "put", u("nostore"), response("x", headers={"cache-control": "no-store"})),
        call("cache", "match", u("nostore")),
        call("cache", "put", u("private"), response("x", headers={"cache-control": "private"})),
        call("cache", "match", u("private")),
        call("cache", "put", u("cookie"), response("x", headers={"cache-control": "max-age=60", "set-cookie": "a=1"})),
        call("cache", "match", u("cookie")),
        call("cache", "put", u("nocc"), response("x")), call("cache", "match", u("nocc")),
        call("cache", "put", u("500"), response("x", status=500, headers={"cache-control": "max-age=60"})),
        call("cache", "match", u("500")), call("cache", "put", "not a url", response("x")),
        call("cache", "match", "not a url"), call("cache", "put", "/relative", response("x")),
    ])
    u = lambda p: url("conditional", p)  # noqa: E731
    add("conditional", [
        call("cache", "put", u("e"), response("0123456789", headers={"cache-control": "max-age=60", "etag": '"v1"'})),
        call("cache", "match", request(u("e"), headers={"if-none-match": '"v1"'})),
        call("cache", "match", request(u("e"), headers={"if-none-match": '"v2"'})),
        call("cache", "match", request(u("e"), headers={"range": "bytes=2-4"})),
        call("cache", "match", request(u("e"), headers={"range": "bytes=20-30"})),
        call("cache", "match", request(u("e"), headers={"range": "bytes=-3"})),
    ])
    add("named", [
        call("caches", "open", "named", as_="c"), call("$c", "put", url("named", "a"),
                                                      response("n", headers={"cache-control": "max-age=60"})),
        call("$c", "match", url("named", "a")), call("cache", "match", url("named", "a")),
        call("caches", "open", "x" * 1024), call("caches", "open", "x" * 1023, as_="c2"),
    ])
    return s
