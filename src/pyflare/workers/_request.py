"""Request: what a worker's fetch handler receives, and what ``fetch()`` can send."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pyflare.workers._body import BodyMixin, prepare_body
from pyflare.workers._headers import Headers, HeadersInit
from pyflare.workers._jsdict import JsDict


class Request(BodyMixin):
    """An HTTP request. ``input`` is a URL or another Request to copy."""

    def __init__(
        self,
        input: str | Request,
        *,
        method: str | None = None,
        headers: HeadersInit = None,
        body: Any = None,
        cf: dict[str, Any] | None = None,
        redirect: str = "follow",
        signal: Any = None,
    ) -> None:
        if isinstance(input, Request):
            self.url = input.url
            self.method = (method or input.method).upper()
            self.headers = Headers(headers if headers is not None else input.headers)
            self.cf = input.cf if cf is None else JsDict(cf)
            self._body = input._take_stream() if body is None and input._body is not None else None
            self.redirect = input.redirect
        else:
            self.url = str(input)
            self.method = (method or "GET").upper()
            self.headers = Headers(headers)
            self.cf = JsDict(cf or {})
            self._body = None
            self.redirect = redirect
        if body is not None:
            if self.method in ("GET", "HEAD"):
                raise TypeError("Request with a GET or HEAD method cannot have a body.")
            self._body = prepare_body(body, self.headers)
        self._used = False
        self.signal = signal

    @classmethod
    def _incoming(cls, url: str, method: str, headers: Headers, body: Any, cf: JsDict) -> Request:
        """Build the request the runtime hands to a worker, without re-validating what it already parsed."""
        request = cls.__new__(cls)
        request.url, request.method, request.headers, request.cf = url, method, headers, cf
        request._body, request._used, request.redirect, request.signal = body, False, "manual", None
        return request

    @property
    def path(self) -> str:
        """The URL's path (a convenience; use urllib.parse on ``url`` for the rest)."""
        return urlsplit(self.url).path

    @property
    def query(self) -> str:
        return urlsplit(self.url).query

    def clone(self) -> Request:
        if self._used:
            raise TypeError("Body has already been used. It can only be used once.")
        if self._body is not None and not isinstance(self._body, bytes):
            raise TypeError("clone() of a streamed body: await request.bytes() first")
        copy = Request._incoming(self.url, self.method, Headers(self.headers), self._body, self.cf)
        copy.redirect = self.redirect
        return copy

    def __repr__(self) -> str:
        return f"<Request [{self.method} {self.url}]>"
