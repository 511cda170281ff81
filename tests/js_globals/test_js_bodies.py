"""The body types workers.Response takes (those of Cloudflare's SDK, docs/python-api.md) and what js.Response.new
makes of other values (workerd's rules, including iterables from fetch_iterable_type_support)."""

from __future__ import annotations

import pytest

import pyflare.workers.js as js
from pyflare.workers import Blob, FormData, Response
from pyflare.workers.pyodide.ffi import to_js

CONFIG = 'name = "t"\nmain = "src/entry.py"\n'


async def _body(response: Response) -> tuple[bytes, str | None]:
    return await response.bytes(), response.headers.get("content-type")


@pytest.mark.parametrize(("body", "expected"), [
    ("text", (b"text", "text/plain;charset=UTF-8")),
    (b"bytes", (b"bytes", None)),
    (None, (b"", None)),
    (to_js(b"view"), (b"view", None)),
    (to_js(b"buffer").buffer, (b"buffer", None)),
    (js.DataView.new(to_js(b"dv").buffer), (b"dv", None)),
    (js.Blob.new(["a", to_js(b"b")], type="Text/Plain"), (b"ab", "text/plain")),
    (Blob(b"blob", "x/y").js_object, (b"blob", "x/y")),
    (js.URLSearchParams.new("a=1&b=2"), (b"a=1&b=2", "application/x-www-form-urlencoded;charset=UTF-8")),
])
async def test_workers_response_takes_the_sdks_body_types(body, expected):
    assert await _body(Response(body)) == expected


async def test_form_data_bodies_are_multipart_and_streams_stream():
    form = FormData()
    form.append("name", "ada")
    form.append("file", js.File.new(["content"], "a.txt", type="text/plain"))
    response = Response(form)
    data, content_type = await _body(response)
    assert content_type.startswith("multipart/form-data; boundary=")
    parsed = FormData.parse(data, content_type)
    assert parsed.get("name") == "ada" and parsed.get("file").name == "a.txt"
    stream = js.ReadableStream.from_([to_js(b"1"), to_js(b"2")])
    assert await Response(stream).bytes() == b"12"


@pytest.mark.parametrize(("body", "name"), [
    (Blob(b"x"), "Blob"),  # the SDK's Python Blob: pass blob.js_object
    (bytearray(b"x"), "bytearray"),
    ({"a": 1}, "dict"),
    ([b"a"], "list"),
])
async def test_workers_response_refuses_what_the_sdk_refuses(body, name):
    with pytest.raises(TypeError, match=f"^Unsupported type in Response: {name}$"):
        Response(body)


async def test_workers_response_refuses_an_async_generator_as_the_sdk_does():
    async def chunks():
        yield b"x"

    generator = chunks()
    with pytest.raises(TypeError, match="Unsupported type in Response: async_generator"):
        Response(generator)
    await generator.aclose()


async def test_a_stream_already_read_cannot_be_a_body():
    stream = js.ReadableStream.from_([to_js(b"1")])
    reader = stream.getReader()
    with pytest.raises(TypeError, match="currently locked to a reader"):
        Response(stream)
    await reader.read()
    reader.releaseLock()
    with pytest.raises(TypeError, match="This ReadableStream is disturbed"):
        Response(stream)


async def test_js_response_new_stringifies_other_values_as_javascript_does(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from js import Headers, Response

        def on_fetch(request):
            return Response.new({"error": "Invalid JSON"}, status=400, headers=Headers.new({"x": "1"}.items()))
    """})
    response = await mf.dispatch_fetch("/")
    assert response.status_code == 400 and response.text == "{'error': 'Invalid JSON'}"
    assert response.headers["x"] == "1"


@pytest.mark.parametrize(("date", "expected"), [
    ("2026-03-01", "chunk1chunk2"),  # fetch_iterable_type_support: iterables stream
    ("2025-06-01", "<async_generator"),  # before it: the object's string
])
async def test_js_response_new_streams_an_async_generator_from_2026_02_19(start_worker, date, expected):
    mf = await start_worker(CONFIG + f'compatibility_date = "{date}"\n', {"src/entry.py": """
        from js import Response
        from pyodide.ffi import to_js

        async def chunks():
            yield to_js(b"chunk1")
            yield to_js(b"chunk2")

        def on_fetch(request):
            return Response.new(chunks())
    """})
    assert (await mf.dispatch_fetch("/")).text.startswith(expected)


async def test_js_response_json_and_redirect_statics(start_worker):
    mf = await start_worker(CONFIG, {"src/entry.py": """
        from js import Object, Response, URL
        from pyodide.ffi import to_js

        def on_fetch(request):
            url = URL.new(request.url)
            if url.pathname == "/old":
                return Response.redirect(url.origin, 307)
            return Response.json(to_js({"a": [1, None]}, dict_converter=Object.fromEntries), status=201)
    """})
    moved = await mf.dispatch_fetch("/old")
    assert moved.status_code == 307 and moved.headers["location"] == "http://localhost/"  # parsed, as workerd does
    made = await mf.dispatch_fetch("/")
    assert made.status_code == 201 and made.headers["content-type"] == "application/json"
    assert made.text == '{"a":[1,null]}'
