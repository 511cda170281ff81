"""Request: what a worker's fetch handler receives, and what ``fetch()`` can send."""

from __future__ import annotations

from typing import Any

from pyflare.kernel.jsdict import JsDict, to_jsdict
from pyflare.workers._body import Body, BodyMixin, prepare_body
from pyflare.workers._headers import Headers, HeadersInit


class Request(BodyMixin):
    """An HTTP request. ``input`` is a URL or another Request to copy; options are keyword arguments."""

    def __init__(
        self,
        input: str | Request,
        *,
        method: str | None = None,
        headers: HeadersInit = None,
        body: Any = None,
        cf: dict[str, Any] | None = None,
        redirect: str | None = None,
        signal: Any = None,
        **_init: Any,
    ) -> None:
        if isinstance(input, Request):
            self.url = input.url
            self.method = str(method or input.method).upper()
            self.headers = Headers(headers if headers is not None else input.headers)
            self.cf = input.cf if cf is None else to_jsdict(cf)
            self._body = input._take() if body is None and input._body is not None else None
            self.redirect = redirect or input.redirect
        else:
            self.url = str(input)
            self.method = str(method or "GET").upper()
            self.headers = Headers(headers)
            self.cf = to_jsdict(cf) if cf is not None else None
            self._body = None
            self.redirect = redirect or "follow"
        if body is not None:
            if self.method in ("GET", "HEAD"):
                raise TypeError("Request with a GET or HEAD method cannot have a body.")
            self._body = prepare_body(body, self.headers, "Request")
        self._used = False
        self.signal = signal

    def _body_used(self) -> OSError:
        return OSError("Body already used")

    @classmethod
    def _incoming(cls, url: str, method: str, headers: Headers, body: Body, cf: JsDict) -> Request:
        """Build the request the runtime hands to a worker, without re-validating what it already parsed."""
        request = cls.__new__(cls)
        request.url, request.method, request.headers, request.cf = url, method, headers, cf
        request._body, request._used, request.redirect, request.signal = body, False, "manual", None
        return request

    def clone(self) -> Request:
        body = self._take()
        if not (isinstance(body, bytes) or body is None):
            raise TypeError("clone() of a streamed body: await request.bytes() first")
        self._used = False
        copy = Request._incoming(self.url, self.method, Headers(self.headers), body, self.cf)
        copy.redirect = self.redirect
        return copy

    @property
    def _js_request(self) -> Request:
        """The JS Request some examples pass on (``request._js_request``); here the Request itself."""
        return self

    def __repr__(self) -> str:
        return f"Request(method={self.method!r}, url={self.url!r})"
