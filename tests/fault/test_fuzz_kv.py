"""Hypothesis over every KV method: only KV's documented errors, and whatever put() stored reads back."""

from __future__ import annotations

from typing import Any

import pytest
from fuzzing import any_text, anything, edge_numbers, maybe
from hypothesis import given
from hypothesis import strategies as st

from pyflare.bindings.kv import KVError
from pyflare.kernel.jsconvert import js_string
from pyflare.kernel.jserrors import JsException, RangeError

CONFIG = """
name = "fuzz-kv"
main = "src/entry.py"
compatibility_date = "2025-11-01"

[[kv_namespaces]]
binding = "KV"
id = "fuzz"
"""

DOCUMENTED = (KVError, TypeError, RangeError)  # KV <OP> failed: ...; the runtime's TypeErrors and RangeErrors

keys = st.one_of(any_text, st.sampled_from(["k", "", ".", "..", "a" * 513, "\ud800", "x\x00y"]), anything)
kinds = st.one_of(st.sampled_from(["text", "json", "arrayBuffer", "stream"]), anything)
values = st.one_of(any_text, st.binary(max_size=64), edge_numbers, anything)
metadata = st.one_of(st.none(), st.dictionaries(any_text, anything, max_size=3), anything)


@pytest.fixture
def kv(driver: Any) -> Any:
    d = driver(CONFIG)
    return d, d.mf.env.KV


def call(d: Any, coro: Any) -> Any:
    try:
        return d.run(coro), None
    except DOCUMENTED as exc:
        return None, exc


def read_everything(d: Any, kv: Any, key: str) -> None:
    """Every way of reading a stored key works (no exception at all)."""
    for kind in ("text", "json", "arrayBuffer"):
        try:
            d.run(kv.get(key, kind))
        except KVError as exc:  # a non-JSON value read as json: not this
            raise AssertionError(exc) from exc
        except JsException as exc:  # JSON.parse of a non-JSON value is a SyntaxError, as on Cloudflare
            assert kind == "json" and exc.name == "SyntaxError"
    d.run(kv.getWithMetadata(key))
    d.run(kv.list())
    d.run(kv.list(prefix=key[:3]))


def test_put_then_read(kv: Any) -> None:
    d, binding = kv

    @given(keys, values, st.one_of(st.none(), edge_numbers), st.one_of(st.none(), edge_numbers), metadata)
    def check(key: Any, value: Any, expiration: Any, ttl: Any, meta: Any) -> None:
        _, error = call(d, binding.put(key, value, expiration=expiration, expirationTtl=ttl, metadata=meta))
        if error is None:
            read_everything(d, binding, js_string(key))

    check()


def test_get(kv: Any) -> None:
    d, binding = kv

    @given(st.one_of(keys, st.lists(keys, max_size=3)), maybe(kinds), maybe(edge_numbers))
    def check(key: Any, kind: Any, cache_ttl: Any) -> None:
        call(d, binding.get(key, kind, cacheTtl=cache_ttl))
        call(d, binding.getWithMetadata(key, {"type": kind, "cacheTtl": cache_ttl}))

    check()


def test_delete_and_list(kv: Any) -> None:
    d, binding = kv

    @given(keys, maybe(any_text), maybe(edge_numbers), maybe(any_text), anything)
    def check(key: Any, prefix: Any, limit: Any, cursor: Any, options: Any) -> None:
        call(d, binding.delete(key))
        call(d, binding.list(prefix=prefix, limit=limit, cursor=cursor))
        call(d, binding.list(options))

    check()
