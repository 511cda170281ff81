"""The ``workers`` module types behave as Cloudflare's Python SDK documents them."""

from __future__ import annotations

import pytest

from pyflare.workers import Blob, File, FormData, Headers, JsDict, ReadableStream, Request, Response


async def test_str_body_defaults_to_text_plain_utf8():
    response = Response("hi")
    assert response.headers.get("content-type") == "text/plain;charset=UTF-8"
    assert await response.text() == "hi"


async def test_response_json_serializes_with_json_content_type():
    response = Response.json({"a": [1, 2]}, status=201, headers={"x-a": "b"})
    assert response.status == 201
    assert response.headers["content-type"] == "application/json"
    assert response.headers["X-A"] == "b"
    assert await response.json() == {"a": [1, 2]}


async def test_response_redirect_sets_location_and_rejects_bad_status():
    assert Response.redirect("https://e.com/", 307).headers["location"] == "https://e.com/"
    assert Response.redirect("https://E.com").headers["location"] == "https://e.com/"  # parsed, as workerd does
    assert Response.redirect("https://e.com/x").status == 302
    with pytest.raises(ValueError, match="200 is not a redirect status code. It must be one of: 301, 302, 303, "
                                         "307, or 308."):
        Response.redirect("https://e.com/x", 200)
    with pytest.raises(TypeError, match="Unable to parse URL: /x"):  # no base URL on Cloudflare either
        Response.redirect("/x")


def test_response_status_out_of_range_is_rejected():
    with pytest.raises(ValueError, match="200 to 599"):
        Response("x", status=99)


async def test_body_can_be_read_only_once():
    response = Response("once")
    await response.text()
    assert response.body_used
    with pytest.raises(OSError, match="Response body is already used"):
        await response.text()
    request = Request("http://x/", method="POST", body="once")
    await request.text()
    with pytest.raises(OSError, match="Body already used"):
        await request.text()


async def test_stream_body_is_read_through():
    async def chunks():
        yield b"a"
        yield b"b"

    assert await Response(ReadableStream(chunks())).text() == "ab"


@pytest.mark.parametrize("body", [bytearray(b"x"), memoryview(b"x"), Blob(b"x"), 5, ["x"]])
def test_body_types_cloudflare_refuses_are_refused(body):
    with pytest.raises(TypeError, match=f"Unsupported type in Response: {type(body).__name__}"):
        Response(body)


def test_status_text_defaults_to_the_reason_phrase():
    assert Response("x", status=404).status_text == "Not Found"
    assert Response("x", status=404, status_text="Gone fishing").status_text == "Gone fishing"


def test_raise_for_status_raises_for_errors_only():
    Response("ok").raise_for_status()
    with pytest.raises(OSError, match="503 Server Error: Service Unavailable"):
        Response("x", status=503).raise_for_status()


def test_headers_are_case_insensitive_and_join_repeats():
    headers = Headers([("Accept", "a"), ("accept", "b")])
    assert headers.get("ACCEPT") == "a, b"
    assert headers.get_all("accept") == ["a", "b"]
    headers.set("Accept", "c")
    assert headers["accept"] == "c" and "Accept" in headers
    headers.delete("accept")
    assert headers.get("accept") is None and headers["accept"] is None and headers.get_all("accept") is None
    assert list(Headers({"B": "1", "a": "2"})) == ["b", "a"]


async def test_form_data_round_trips_through_multipart():
    form = FormData()
    form.append("name", "Ada")
    form.append("file", File(b"\x00\x01", "a.bin", "application/octet-stream"))
    request = Request("http://x/", method="POST", body=form)
    parsed = await request.form_data()
    assert parsed["name"] == "Ada"
    upload = parsed["file"]
    assert isinstance(upload, File) and upload.name == "a.bin" and await upload.bytes() == b"\x00\x01"


async def test_urlencoded_form_is_parsed():
    request = Request("http://x/", method="POST", body="a=1&b=two",
                      headers={"content-type": "application/x-www-form-urlencoded"})
    form = await request.form_data()
    assert form.get("a") == "1" and form.get("b") == "two"


def test_get_request_cannot_have_a_body():
    with pytest.raises(TypeError, match="GET or HEAD"):
        Request("http://x/", body="no")


async def test_request_clone_keeps_the_body_for_both():
    request = Request("http://x/", method="PUT", body=b"data")
    copy = request.clone()
    assert await request.bytes() == b"data" and await copy.bytes() == b"data"


def test_jsdict_allows_attribute_and_item_access():
    value = JsDict(results=[1], meta=JsDict(changes=0))
    assert value.results == value["results"] == [1]
    assert value.meta.changes == 0
    with pytest.raises(AttributeError):
        _ = value.missing


async def test_blob_slices_and_reads():
    blob = Blob([b"hello ", "world"], "text/plain")
    assert blob.size == 11
    assert await blob.slice(6).text() == "world"


def test_jsdict_key_wins_over_a_dict_method_of_the_same_name():
    value = JsDict(keys=["a"], items=3)
    assert value.keys == ["a"] and value.items == 3
    assert JsDict(a=1).keys() == {"a": 1}.keys()
