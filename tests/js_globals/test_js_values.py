"""JavaScript values behave as Pyodide's proxies of them do: arrays, Maps (what ctx.storage returns), buffers,
Dates, plain objects; and the language globals (Object, JSON, Math, Number, Date, Promise...)."""

from __future__ import annotations

import math

import pytest

import pyflare.workers.js as js
from pyflare.kernel.jserrors import JsException, RangeError
from pyflare.kernel.jsobjects import JsArray, JsMap
from pyflare.workers.pyodide.ffi import to_js

CONFIG = 'name = "t"\nmain = "src/entry.py"\n'
DO_CONFIG = CONFIG + """
[[durable_objects.bindings]]
name = "NOTES"
class_name = "Notes"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Notes"]
"""


async def test_storage_get_of_several_keys_is_a_map_with_callable_keys_values_entries(start_worker):
    mf = await start_worker(DO_CONFIG, {"src/entry.py": """
        from workers import DurableObject, Response, WorkerEntrypoint

        class Notes(DurableObject):
            async def fetch(self, request):
                # "keys" and "size" as stored keys must not hide the Map's methods
                await self.ctx.storage.put({"keys": 1, "size": 2, "b": 3})
                found = await self.ctx.storage.get(["keys", "size", "b", "missing"])
                listed = await self.ctx.storage.list()
                return Response.json({
                    "keys": sorted(found.keys()), "values": sorted(found.values()),
                    "entries": sorted([k, v] for k, v in found.entries()),
                    "get": found.get("b"), "get_default": found.get("missing", "d"), "item": found["size"],
                    "has": [found.has("b"), found.has("missing")], "size": found.size, "len": len(found),
                    "iter": sorted(found), "to_py": found.to_py(), "in": "keys" in found,
                    "list_size": listed.size, "list_first": next(iter(listed)),
                })

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return await self.env.NOTES.getByName("a").fetch(request)
    """})
    data = (await mf.dispatch_fetch("/")).json()
    assert data == {
        "keys": ["b", "keys", "size"], "values": [1, 2, 3], "entries": [["b", 3], ["keys", 1], ["size", 2]],
        "get": 3, "get_default": "d", "item": 2, "has": [True, False], "size": 3, "len": 3,
        "iter": ["b", "keys", "size"], "to_py": {"keys": 1, "size": 2, "b": 3}, "in": True,
        "list_size": 3, "list_first": "b",
    }


def test_a_map_is_a_mapping_with_the_js_methods():
    m = js.Map.new([["a", 1], ["b", JsArray([1, 2])]])
    assert isinstance(m, JsMap)
    assert m.set("c", 3) is m and m.size == 3
    assert m.delete("c") is True and m.delete("c") is False
    assert [list(pair) for pair in m.entries()] == [["a", 1], ["b", [1, 2]]]
    assert type(m.to_py()["b"]) is list
    seen = []
    m.forEach(lambda value, key, _map: seen.append((key, value)))
    assert seen == [("a", 1), ("b", [1, 2])]


def test_arrays_are_lists_with_the_js_methods_and_js_callback_arguments():
    a = js.Array.new(1, 2, 3)
    assert a.length == 3 and a.slice(1) == [2, 3] and a.slice(-1) == [3] and isinstance(a.slice(), JsArray)
    assert a.push(4) == 4 and a.includes(4) and a.indexOf(9) == -1 and a.at(-1) == 4
    assert a.join("-") == "1-2-3-4" and str(a) == "1,2,3,4"
    assert a.map(lambda v, i, arr: v * i) == [0, 2, 6, 12]
    assert a.filter(lambda v, *_: v % 2) == [1, 3]
    assert a.reduce(lambda acc, v, *_: acc + v) == 10
    with pytest.raises(TypeError):  # JavaScript passes (value, index, array), as Pyodide does
        a.map(lambda v: v)
    assert js.Array.new(2) == [None, None] and js.Array.isArray(a) and js.Array.from_("ab") == ["a", "b"]
    assert a.to_py() == [1, 2, 3, 4] and type(a.to_py()) is list
    with pytest.raises(RangeError, match="Invalid array length"):
        js.Array.new(-1)


def test_object_functions_read_plain_objects_arrays_and_websocket_pairs():
    pair = js.WebSocketPair.new()
    client, server = js.Object.values(pair)
    assert client._peer is server
    assert js.Object.keys(pair) == ["0", "1"]
    obj = js.Object.fromEntries({"a": 1, "b": 2}.items())
    assert obj.a == 1 and js.Object.entries(obj) == [["a", 1], ["b", 2]]
    assert js.Object.assign(obj, {"c": 3}) is obj and obj.c == 3
    assert js.Object.keys(["x", "y"]) == ["0", "1"]
    assert obj.to_py() == {"a": 1, "b": 2, "c": 3} and obj.object_keys() == ["a", "b", "c"]
    with pytest.raises(TypeError, match="Cannot convert undefined or null to object"):
        js.Object.keys(None)


def test_to_js_bytes_gives_a_uint8array_with_slice_bytelength_to_py_and_to_bytes():
    view = to_js(bytes(range(10)))
    copy = view.slice(2, 5)
    assert type(copy) is type(view) and copy.to_bytes() == bytes([2, 3, 4]) and copy.byteLength == 3
    assert bytes(view.to_py()) == bytes(range(10)) and view.buffer.byteLength == 10
    sub = view.subarray(1, 3)
    sub[0] = 200  # a view shares its buffer
    assert view[1] == 200 and copy[0] == 2  # slice() copied
    assert view.to_bytes()[:2] == bytes([0, 200])


def test_typed_arrays_wrap_values_as_javascript_does_and_share_buffers():
    buffer = js.ArrayBuffer.new(8)
    words, bytes_ = js.Uint16Array.new(buffer), js.Uint8Array.new(buffer, 2, 2)
    words[1] = 0x1234
    assert list(bytes_) == [0x34, 0x12]
    assert list(js.Int8Array.new([255, 128, 1.9])) == [-1, -128, 1]
    assert list(js.Uint8ClampedArray.new([300, -5])) == [255, 0]
    assert js.Float64Array.new([1.5]).to_py().tolist() == [1.5]
    view = js.DataView.new(buffer)
    view.setUint32(4, 0xDEADBEEF)
    assert view.getUint32(4) == 0xDEADBEEF and view.getUint32(4, True) == 0xEFBEADDE
    with pytest.raises(RangeError):
        js.Uint32Array.new(buffer, 1)


def test_typed_array_copies_set_and_fill_convert_as_javascript_does():
    # The bulk copies (slice, set, fill, a copy of a typed array) give what element-by-element conversion gives.
    shorts = js.Int16Array.new([1, 2, -3, 70000, 2.7])
    assert list(shorts) == [1, 2, -3, 4464, 2]
    assert list(shorts.slice(1, 3)) == [2, -3] and list(shorts.slice(-2)) == [4464, 2] and len(shorts.slice(3, 1)) == 0
    assert list(js.Int16Array.new(shorts)) == list(shorts) and list(js.Float32Array.new(shorts))[:2] == [1.0, 2.0]
    target = js.Int16Array.new(5)
    target.set([1.5, 40000, -1])
    assert list(target) == [1, -25536, -1, 0, 0]
    target.fill(7, 3)
    assert list(target) == [1, -25536, -1, 7, 7]
    with pytest.raises(RangeError):
        target.set(shorts.subarray(0, 3), 3)
    overlapping = js.Uint8Array.new([1, 2, 3, 4, 5])
    overlapping.set(overlapping.subarray(0, 3), 2)  # source and target share one buffer
    assert list(overlapping) == [1, 2, 1, 2, 3]
    assert list(js.Uint8ClampedArray.new([2.5, 3.5, 256]).fill(300, 2)) == [2, 4, 255]
    assert list(js.BigInt64Array.new([2**64 + 5, -1])) == [5, -1]


def test_dates_follow_javascript_and_date_new_reads_pyflares_clock():
    assert js.Date.new(0).toISOString() == "1970-01-01T00:00:00.000Z"
    assert js.Date.new("2024-02-29").getTime() == 1709164800000
    assert js.Date.new(2024, 0, 31, 12).toUTCString() == "Wed, 31 Jan 2024 12:00:00 GMT"
    assert js.Date.new(2024, 12, 1).getFullYear() == 2025  # months overflow into the next year
    assert math.isnan(js.Date.new("not a date").getTime())
    assert js.Date.UTC(2000, 0) == 946684800000 and js.Date.parse("Thu, 01 Jan 1970 00:00:01 GMT") == 1000
    with pytest.raises(RangeError, match="Invalid time value"):
        js.Date.new("nope").toISOString()
    d = js.Date.new(0)
    d.setMonth(13)
    assert d.toISOString() == "1971-02-01T00:00:00.000Z"
    assert js.JSON.stringify({"when": js.Date.new(1)}) == '{"when":"1970-01-01T00:00:00.001Z"}'


async def test_date_new_and_date_now_in_a_worker_read_the_clock(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from js import Date
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                return Response(f"{Date.new().getTime()} {Date.now()}")
    """})
    mf.clock.set(1_900_000_000)
    first, second = map(int, (await mf.dispatch_fetch("/")).text.split())
    assert abs(first - 1_900_000_000_000) < 5_000 and abs(second - first) < 5_000


def test_json_parse_gives_js_values_and_stringify_writes_as_v8():
    value = js.JSON.parse('{"a": [1, 2.5, 3.0, {"b": null}], "c": true}')
    assert value.a[3].b is None and value.c is True and type(value.a) is JsArray
    assert value.a[2] == 3 and type(value.a[2]) is int
    assert js.JSON.stringify(value) == '{"a":[1,2.5,3,{"b":null}],"c":true}'
    assert js.JSON.stringify([math.nan, math.inf, 1e21, 0.1]) == "[null,null,1e+21,0.1]"
    assert js.JSON.stringify({"a": 1, "b": [1]}, None, 2) == '{\n  "a": 1,\n  "b": [\n    1\n  ]\n}'
    assert js.JSON.stringify({"a": 1, "b": 2}, ["b"]) == '{"b":2}'
    with pytest.raises(JsException, match="is not valid JSON") as caught:
        js.JSON.parse("{bad")
    assert caught.value.name == "SyntaxError"
    cyclic: dict = {}
    cyclic["self"] = cyclic
    with pytest.raises(TypeError, match="Converting circular structure to JSON"):
        js.JSON.stringify(cyclic)


def test_math_number_string_boolean_follow_javascript():
    assert js.Math.round(2.5) == 3 and js.Math.round(-2.5) == -2 and type(js.Math.floor(2.7)) is int
    assert js.Math.max() == -math.inf and math.isnan(js.Math.max(1, math.nan))
    assert js.Math.imul(0xFFFFFFFF, 5) == -5 and 0 <= js.Math.random() < 1
    assert js.Number("0x1f") == 31 and math.isnan(js.Number("1a")) and js.Number("") == 0
    assert js.parseInt("42px") == 42 and js.parseInt("ff", 16) == 255 and math.isnan(js.parseInt("x"))
    assert js.parseFloat("3.5e2abc") == 350
    assert js.String(None) == "undefined" and js.String(True) == "true" and js.String(1.0) == "1"
    assert js.Boolean({}) is True and js.Boolean("") is False and js.Boolean(math.nan) is False
    assert js.encodeURIComponent("a b&c/é") == "a%20b%26c%2F%C3%A9" and js.decodeURI("%2F%41") == "%2FA"
    assert js.Number.isSafeInteger(2**53 - 1) and not js.Number.isSafeInteger(2**53)


def test_error_constructors_give_the_kernels_exceptions():
    assert isinstance(js.TypeError.new("x"), TypeError)
    assert isinstance(js.RangeError.new("x"), RangeError)
    error = js.Error.new("boom")
    assert isinstance(error, JsException) and str(error) == "boom" and error.name == "Error"
    assert js.SyntaxError.new("s").name == "SyntaxError"
    with pytest.raises(JsException, match="Code generation from strings disallowed"):
        js.eval("1 + 1")


async def test_promises_are_awaitable_and_chain_like_javascript():
    seen = []
    promise = js.Promise.new(lambda resolve, reject: resolve(2))
    doubled = promise.then(lambda v: v * 2)
    assert await doubled == 4
    assert await js.Promise.all([promise, 3, js.Promise.resolve(5)]) == [2, 3, 5]
    failing = js.Promise.reject(js.Error.new("no"))
    assert await failing.catch(lambda e: f"caught {e}") == "caught no"
    settled = await js.Promise.allSettled([promise, failing])
    assert [s.status for s in settled] == ["fulfilled", "rejected"]
    await promise.finally_(lambda: seen.append("done"))
    assert seen == ["done"]
    with pytest.raises(JsException, match="All promises were rejected"):
        await js.Promise.any([failing])


def test_structured_clone_copies_js_values_deeply():
    original = js.Map.new([["d", js.Date.new(5)], ["list", JsArray([1, {"a": 2}])]])
    copy = js.structuredClone(original)
    assert isinstance(copy, JsMap) and copy is not original
    assert copy["d"].getTime() == 5 and copy["d"] is not original["d"]
    assert copy["list"] == [1, {"a": 2}] and copy["list"][1] is not original["list"][1]
    buffer = to_js(b"abc")
    cloned = js.structuredClone(buffer)
    assert cloned == b"abc" and cloned.buffer is not buffer.buffer
    with pytest.raises(TypeError, match="could not be cloned"):
        js.structuredClone(lambda: None)


def test_navigator_and_performance_are_cloudflares():
    assert js.navigator.userAgent == "Cloudflare-Workers" and js.navigator.hardwareConcurrency == 1
    assert js.performance.timeOrigin == 0 and abs(js.performance.now() - js.Date.now()) < 1000
    assert js.atob(js.btoa("hé")) == "hé"


def test_weak_collections_and_symbols():
    key = js.Object.new()
    weak = js.WeakMap.new()
    weak.set(key, 1)
    assert weak.get(key) == 1 and weak.has(key) and not weak.has(js.Object.new())
    with pytest.raises(TypeError, match="Invalid value used as weak map key"):
        weak.set("text", 1)
    assert js.Symbol("x") is not js.Symbol("x") and js.Symbol.for_("k") is js.Symbol.for_("k")
    assert str(js.Symbol.iterator) == "Symbol(Symbol.iterator)"


def test_to_js_converts_as_pyodide_and_js_values_are_jsproxies():
    from pyflare.workers.pyodide.ffi import JsProxy

    as_map = to_js({"a": {"b": [1, (2, 3)]}})
    assert isinstance(as_map, JsMap) and isinstance(as_map["a"], JsMap) and as_map["a"]["b"] == [1, [2, 3]]
    assert js.JSON.stringify(as_map) == "{}"  # a Map has no properties, in JavaScript as in Pyodide
    as_object = to_js({"a": {"b": 1}}, dict_converter=js.Object.fromEntries)
    assert as_object.a.b == 1 and js.JSON.stringify(as_object) == '{"a":{"b":1}}'
    assert to_js({"a": {"b": 1}}, depth=1)["a"] == {"b": 1} and type(to_js({"a": {}}, depth=1)["a"]) is dict
    for value in (as_map, as_object, js.Array.new(), js.Date.new(0), js.URL.new("https://x"), to_js(b"x")):
        assert isinstance(value, JsProxy)


def test_import_from_javascript_gives_js_and_cloudflare_workers():
    from pyflare.workers import import_from_javascript

    assert import_from_javascript("js") is js
    assert import_from_javascript("cloudflare:workers").waitUntil is not None
    with pytest.raises(ImportError, match="Failed to import 'node:fs'"):
        import_from_javascript("node:fs")
