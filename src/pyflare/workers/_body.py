"""The body of a Request or Response: bytes in hand, or a ReadableStream read at most once."""

from __future__ import annotations

import json
from typing import Any

from pyflare.workers._formdata import Blob, FormData
from pyflare.workers._headers import Headers
from pyflare.workers._streams import ReadableStream
from pyflare.workers.pyodide.ffi import JsBuffer
from pyflare.workers.pyodide.http import BodyUsedError

TEXT_PLAIN = "text/plain;charset=UTF-8"

Body = bytes | ReadableStream | None


DISTURBED = "This ReadableStream is disturbed (has already been read from), and cannot be used as a body."


def prepare_body(body: Any, headers: Headers, kind: str = "Response") -> Body:
    """Accept what Cloudflare's SDK accepts (str, bytes, FormData, None; and the JS values: a ReadableStream
    such as another body, an ArrayBuffer or a view of one, a JS Blob/File, a URLSearchParams), setting the
    default content-type; anything else (a ``workers.Blob``, a Python iterable) is the SDK's TypeError."""
    if body is None:
        return None
    if type(body) is str:
        if not headers.has("content-type"):
            headers.set("content-type", TEXT_PLAIN)
        return body.encode("utf-8")
    if type(body) is bytes:
        return body
    if isinstance(body, ReadableStream):
        if body.disturbed:
            raise TypeError(DISTURBED)
        if body.locked:
            raise TypeError("This ReadableStream is currently locked to a reader.")
        return body
    if isinstance(body, JsBuffer):  # a Uint8Array or ArrayBuffer, e.g. to_js(data).buffer
        return body.to_bytes()
    body_init = getattr(body, "_body_init", None)  # FormData, a JS Blob/File (not workers.Blob), URLSearchParams
    if body_init is not None:
        data, content_type = body_init()
        if content_type and not headers.has("content-type"):
            headers.set("content-type", content_type)
        return data
    raise TypeError(f"Unsupported type in {kind}: {type(body).__name__}")


class BodyMixin:
    """Body readers shared by Request and Response."""

    _body: Body
    headers: Headers
    _used: bool = False
    _used_error: type[OSError] | None = None

    def _body_used(self) -> OSError:
        return BodyUsedError()

    @property
    def body(self) -> ReadableStream | None:
        """The body as a ReadableStream (an async iterator of bytes), or None when there is none."""
        if self._body is None:
            return None
        if isinstance(self._body, bytes):
            self._body = ReadableStream.of(self._body)
        return self._body

    @property
    def body_used(self) -> bool:
        return self._used or (isinstance(self._body, ReadableStream) and self._body.disturbed)

    bodyUsed = body_used  # noqa: N815 - JS spelling

    async def bytes(self) -> bytes:
        if self.body_used:
            raise self._body_used()
        self._used = True
        body = self._body
        if body is None:
            return b""
        if isinstance(body, bytes):
            return body
        return await body.read_all()

    async def buffer(self) -> bytes:
        """The body as bytes (the SDK returns a JS ArrayBuffer here)."""
        return await self.bytes()

    async def text(self) -> str:
        return (await self.bytes()).decode("utf-8", "replace")

    async def json(self, **kwargs: Any) -> Any:
        return json.loads(await self.text(), **kwargs)

    async def form_data(self) -> FormData:
        return FormData.parse(await self.bytes(), self.headers.get("content-type") or "")

    async def blob(self) -> Blob:
        return Blob(await self.bytes(), self.headers.get("content-type") or "")

    @property
    def js_object(self) -> Any:
        """The underlying JS object on Cloudflare; pyflare's Request and Response are their own."""
        return self

    def _take(self) -> Body:
        """Hand the body over to a new owner (a clone source, the ASGI sender); marks it used."""
        if self.body_used:
            raise self._body_used()
        self._used = True
        return self._body
