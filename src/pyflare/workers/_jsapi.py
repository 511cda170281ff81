"""JavaScript globals in the style Pyodide exposes them (``from js import Response``; ``Response.new(...)``).

Pyodide calls a JS constructor with ``.new(...)`` and passes keyword arguments as the trailing options
object, so ``js.Response.new("hi", status=201, headers=...)`` is ``new Response("hi", {status: 201, ...})``.
The classes here are pyflare's own Request/Response/Headers with those constructors added, so what they
build is what the rest of pyflare (and a worker's ``fetch`` handler) takes.
"""

from __future__ import annotations

from typing import Any

from pyflare.kernel.jsdict import JsDict
from pyflare.workers._fetch import fetch as _fetch
from pyflare.workers._headers import Headers as _Headers
from pyflare.workers._request import Request as _Request
from pyflare.workers._response import FetchResponse
from pyflare.workers._response import Response as _Response
from pyflare.workers._streams import ReadableStream
from pyflare.workers.pyodide.ffi import ArrayBuffer, Uint8Array, unwrap_proxy


def _options(init: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """One JS options object from a positional dict/JsDict and Pyodide-style keyword arguments."""
    merged: dict[str, Any] = {}
    if init is not None:
        init = unwrap_proxy(init)
        if not isinstance(init, dict):
            raise TypeError(f"Failed to construct: the options argument must be an object, not {type(init).__name__}")
        merged.update(init)
    merged.update(kwargs)
    return merged


class Headers(_Headers):
    __slots__ = ()

    @classmethod
    def new(cls, init: Any = None) -> Headers:
        init = unwrap_proxy(init)
        if init is not None and not isinstance(init, (dict, list, tuple, _Headers)):
            init = list(init)
        return cls(init)


class Response(_Response):
    """``js.Response``: ``Response.new(body, {status, statusText, headers})``, plus the static helpers."""

    @classmethod
    def new(cls, body: Any = None, init: Any = None, **kwargs: Any) -> Response:
        options = _options(init, kwargs)
        unknown = set(options) - {"status", "statusText", "headers", "webSocket", "encodeBody", "cf"}
        if unknown:
            raise TypeError(f"Response.new(): unknown option(s) {', '.join(sorted(unknown))}")
        headers = options.get("headers")
        if isinstance(headers, dict):
            headers = dict(headers)
        return cls(body, status=options.get("status"), status_text=options.get("statusText", ""),
                   headers=headers, web_socket=options.get("webSocket"))

    @classmethod
    def error(cls) -> Response:
        response = cls(None, status=200)
        response.status, response.type = 0, "error"
        return response


class Request(_Request):
    """``js.Request``: ``Request.new(url_or_request, {method, headers, body, redirect, cf})``."""

    @classmethod
    def new(cls, input: Any, init: Any = None, **kwargs: Any) -> Request:
        options = _options(init, kwargs)
        return cls(input, method=options.get("method"), headers=options.get("headers"), body=options.get("body"),
                   cf=options.get("cf"), redirect=options.get("redirect"), signal=options.get("signal"))


async def fetch(resource: Any, init: Any = None, **kwargs: Any) -> FetchResponse:
    """``js.fetch(url_or_request, {method, headers, body, redirect})``: the same outbound fetch as ``workers.fetch``."""
    options = _options(init, kwargs)
    return await _fetch(resource, method=options.get("method"), headers=options.get("headers"),
                        body=options.get("body"), redirect=options.get("redirect"))


class Object:
    """``js.Object``: building plain objects (dicts with attribute access)."""

    @staticmethod
    def fromEntries(entries: Any) -> JsDict:  # noqa: N802 - JS names
        return JsDict(dict(entries.items() if hasattr(entries, "items") else entries))

    @staticmethod
    def new() -> JsDict:
        return JsDict()

    @staticmethod
    def keys(value: dict[str, Any]) -> list[str]:
        return list(value.keys())

    @staticmethod
    def values(value: dict[str, Any]) -> list[Any]:
        return list(value.values())

    @staticmethod
    def entries(value: dict[str, Any]) -> list[list[Any]]:
        return [[k, v] for k, v in value.items()]

    @staticmethod
    def assign(target: dict[str, Any], *sources: dict[str, Any]) -> dict[str, Any]:
        for source in sources:
            target.update(source)
        return target


__all__ = ["ArrayBuffer", "Headers", "Object", "ReadableStream", "Request", "Response", "Uint8Array", "fetch"]
