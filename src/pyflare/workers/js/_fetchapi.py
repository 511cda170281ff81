"""The Fetch API of ``js``: ``Request``, ``Response``, ``Headers``, ``fetch``, ``Blob``, ``File``, ``FormData``.

They are pyflare's own Request/Response/Headers (what a handler receives and returns) with JavaScript's side
added: Pyodide's ``.new(...)`` constructors (keyword arguments are the init object:
``Response.new("hi", status=201, headers=...)``), the static ``Response.json``/``redirect``/``error``, and the
JavaScript readers (``json()`` gives JS values, ``arrayBuffer()`` an ArrayBuffer, ``bytes()`` a Uint8Array,
``blob()`` a JS Blob). ``js.fetch`` answers with such a JavaScript Response; a top-level ``on_fetch`` handler
receives a JavaScript Request, as on Cloudflare (``await request.json()`` is an object read with
attributes, a body that is not JSON raises ``JsException`` named ``SyntaxError``).

What ``Response.new`` takes as a body follows workerd: str, ArrayBuffer or view, ReadableStream, JS Blob/File,
FormData, URLSearchParams; with ``fetch_iterable_type_support`` (default from 2026-02-19) a (async) iterable
of byte chunks streams; any other value is converted to a string, as JavaScript does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.jsobjects import ArrayBuffer, JsArray, JsBuffer, JsProxy, Uint8Array, js_call, js_string
from pyflare.workers._body import BodyMixin
from pyflare.workers._fetch import fetch as _fetch
from pyflare.workers._formdata import FormData, JsBlob, JsFile
from pyflare.workers._headers import Headers as _Headers
from pyflare.workers._request import Request as _Request
from pyflare.workers._response import Response as _Response
from pyflare.workers._response import _ClassOrInstanceMethod
from pyflare.workers._streams import ReadableStream
from pyflare.workers.host import compatibility
from pyflare.workers.pyodide.ffi import unwrap_proxy

__all__ = ["Blob", "File", "FormData", "Headers", "Request", "Response", "as_js_request", "fetch"]

Blob = JsBlob
File = JsFile


def _options(init: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """One JS options object from a positional dict/JsDict and Pyodide-style keyword arguments."""
    merged: dict[str, Any] = {}
    if init is not None:
        init = unwrap_proxy(init)
        if isinstance(init, _Response):  # Response.new(body, otherResponse): its status and headers
            init = {"status": init.status, "statusText": init._status_text, "headers": init.headers}
        if not isinstance(init, dict):
            raise TypeError(f"Failed to construct: the options argument must be an object, not {type(init).__name__}")
        merged.update(init)
    merged.update(kwargs)
    return merged


def _iterable_body(body: Any) -> bool:
    if isinstance(body, (str, bytes, bytearray, dict)) or isinstance(body, JsProxy):
        return False
    return hasattr(body, "__aiter__") or isinstance(body, (list, tuple)) or hasattr(body, "__next__")


def js_body(body: Any) -> Any:
    """A JavaScript body init as workerd reads it, in terms :func:`~pyflare.workers._body.prepare_body` takes."""
    body = unwrap_proxy(body)
    if body is None or isinstance(body, (str, ReadableStream, JsBuffer, FormData, JsBlob)):
        return body
    if getattr(body, "_body_init", None) is not None:  # URLSearchParams
        return body
    if isinstance(body, (bytes, bytearray, memoryview)):
        return Uint8Array(bytes(body))  # Pyodide hands bytes to JavaScript as a buffer-like proxy
    if _iterable_body(body) and compatibility().enabled("fetch_iterable_type_support",
                                                        "no_fetch_iterable_type_support", "2026-02-19"):
        return ReadableStream.from_(body)
    if isinstance(body, (list, tuple)):
        return ",".join("" if item is None else js_string(item) for item in body)
    return str(body)  # any other value, as JavaScript's String(value) (a Python object's str())


class Headers(_Headers):
    """``js.Headers``: ``Headers.new(init)`` (a dict, pairs, ``dict.items()``, other Headers); iterating gives
    ``[name, value]`` pairs, as a JavaScript Headers does."""

    __slots__ = ()
    js_type = "Headers"

    @classmethod
    def new(cls, init: Any = None, **kwargs: Any) -> Headers:
        init = unwrap_proxy(init)
        if init is None and kwargs:
            init = kwargs
        if init is not None and not isinstance(init, (dict, list, tuple, _Headers)):
            init = list(init)
        if isinstance(init, (list, tuple)):
            for pair in init:
                if isinstance(pair, (str, bytes)) or len(list(pair)) != 2:
                    raise TypeError("Failed to construct 'Headers': Invalid value")
        return cls(init)

    def _js_pairs(self) -> list[JsArray]:
        """The pairs JavaScript iterates: sorted by name, repeated values joined, except Set-Cookie's."""
        pairs = []
        for name in sorted(self.keys()):
            if name == "set-cookie":
                pairs.extend(JsArray((name, value)) for value in self.get_all(name, []))
            else:
                pairs.append(JsArray((name, self.get(name))))
        return pairs

    def __iter__(self) -> Iterator[JsArray]:  # type: ignore[override]
        return iter(self._js_pairs())

    def forEach(self, callback: Callable[..., Any]) -> None:  # noqa: N802 - JS names
        for name, value in self._js_pairs():
            js_call(callback, value, name, self)

    @property
    def constructor(self) -> Any:
        return JsProxy.constructor.fget(self)  # type: ignore[attr-defined]


def as_js_headers(headers: _Headers) -> Headers:
    headers.__class__ = Headers
    return headers  # type: ignore[return-value]


class _JsBody:
    """The JavaScript readers of a body (mixed into the JS Request and Response)."""

    async def _raw(self) -> bytes:
        return await BodyMixin.bytes(self)  # type: ignore[arg-type]

    async def arrayBuffer(self) -> ArrayBuffer:  # noqa: N802
        return ArrayBuffer(await self._raw())

    async def bytes(self) -> Uint8Array:
        return Uint8Array(await self._raw())

    async def text(self) -> str:
        return (await self._raw()).decode("utf-8", "replace")

    async def blob(self) -> JsBlob:
        return JsBlob(await self._raw(), (self.headers.get("content-type") or "").lower())  # type: ignore[attr-defined]

    async def form_data(self) -> FormData:
        return FormData.parse(await self._raw(), self.headers.get("content-type") or "")  # type: ignore[attr-defined]

    formData = form_data  # noqa: N815

    async def _json_value(self) -> Any:
        from pyflare.workers.js._language import json_parse

        return json_parse(await self.text())


class Response(_JsBody, _Response):
    """``js.Response``: ``Response.new(body, {status, statusText, headers})``, plus the static helpers."""

    js_type = "Response"

    @classmethod
    def new(cls, body: Any = None, init: Any = None, **kwargs: Any) -> Response:
        options = _options(init, kwargs)
        unknown = set(options) - {"status", "statusText", "headers", "webSocket", "encodeBody", "cf"}
        if unknown:
            raise TypeError(f"Response.new(): unknown option(s) {', '.join(sorted(unknown))}")
        headers = options.get("headers")
        if isinstance(headers, dict):
            headers = dict(headers)
        status = options.get("status")
        response = cls(js_body(body), status=status, status_text=options.get("statusText", ""),
                       headers=headers, web_socket=options.get("webSocket"))
        as_js_headers(response.headers)
        return response

    @classmethod
    def _json_static(cls, data: Any, init: Any = None, **kwargs: Any) -> Response:
        """``Response.json(data, {status, headers})``: JSON.stringify of ``data``, application/json."""
        from pyflare.workers.js._language import json_stringify

        options = _options(init, kwargs)
        text = json_stringify(data)
        if not isinstance(text, str):
            raise TypeError("Value is not JSON serializable")
        headers = Headers.new(options.get("headers"))
        if not headers.has("content-type"):
            headers.set("content-type", "application/json")
        return cls.new(text, JsDict(options, headers=headers))

    async def _json_instance(self) -> Any:
        return await self._json_value()

    json = _ClassOrInstanceMethod(_json_static, _json_instance)  # type: ignore[assignment]

    @classmethod
    def redirect(cls, url: Any, status: int = 302) -> Response:
        response = super().redirect(url.href if hasattr(url, "href") and not isinstance(url, str) else url, status)
        as_js_headers(response.headers)
        return response  # type: ignore[return-value]

    @classmethod
    def error(cls) -> Response:
        response = cls(None, status=200)
        response.status, response.type = 0, "error"
        return response

    def clone(self) -> Response:
        copy = super().clone()
        copy.__class__ = type(self)
        as_js_headers(copy.headers)
        return copy  # type: ignore[return-value]


class Request(_JsBody, _Request):
    """``js.Request``: ``Request.new(url_or_request, {method, headers, body, redirect, cf})``."""

    js_type = "Request"

    @classmethod
    def new(cls, input: Any, init: Any = None, **kwargs: Any) -> Request:
        options = _options(init, kwargs)
        if hasattr(input, "href") and not isinstance(input, (str, _Request)):  # a js.URL
            input = input.href
        request = cls(input, method=options.get("method"), headers=options.get("headers"),
                      body=js_body(options.get("body")), cf=options.get("cf"), redirect=options.get("redirect"),
                      signal=options.get("signal"))
        as_js_headers(request.headers)
        return request

    async def json(self, **_: Any) -> Any:  # type: ignore[override]
        return await self._json_value()

    def clone(self) -> Request:
        copy = super().clone()
        return as_js_request(copy)


def as_js_request(request: _Request) -> Request:
    """``request`` seen from JavaScript (what a top-level ``on_fetch`` handler receives on Cloudflare)."""
    request.__class__ = Request
    as_js_headers(request.headers)
    return request  # type: ignore[return-value]


async def fetch(resource: Any, init: Any = None, **kwargs: Any) -> Response:
    """``js.fetch(url_or_request, {method, headers, body, redirect})``: the same outbound fetch as
    ``workers.fetch``, answered with a JavaScript Response."""
    options = _options(init, kwargs)
    if hasattr(resource, "href") and not isinstance(resource, (str, _Request)):
        resource = resource.href
    response = await _fetch(resource, method=options.get("method"), headers=options.get("headers"),
                            body=js_body(options.get("body")), redirect=options.get("redirect"))
    response.__class__ = Response
    as_js_headers(response.headers)
    return response  # type: ignore[return-value]

