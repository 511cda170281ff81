"""Response: what a worker returns from fetch, and what ``fetch()`` gives back."""

from __future__ import annotations

import json as _json
from http import HTTPStatus
from typing import Any

from pyflare.workers._body import BodyMixin, prepare_body
from pyflare.workers._headers import Headers, HeadersInit

REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class _ClassOrInstanceMethod:
    """``Response.json(data)`` builds a response; ``await response.json()`` reads one (as in the SDK)."""

    def __init__(self, on_class: Any, on_instance: Any) -> None:
        self.on_class, self.on_instance = on_class, on_instance

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return self.on_class.__get__(owner, owner)
        return self.on_instance.__get__(instance, owner)


class Response(BodyMixin):
    """An HTTP response. ``body`` may be str, bytes, FormData, Blob, a (async) iterable of chunks, or None."""

    def __init__(
        self,
        body: Any = None,
        status: int | None = None,
        status_text: str = "",
        headers: HeadersInit = None,
        web_socket: Any = None,
        *,
        statusText: str | None = None,  # noqa: N803 - JS spelling also accepted
    ) -> None:
        status = 200 if status is None else int(status)
        if not (200 <= status <= 599) and not (status == 101 and web_socket is not None):
            raise ValueError(f'Response status must be in the range 200 to 599, inclusive (got {status}).')
        self.status = status
        self.status_text = statusText if statusText is not None else status_text
        self.headers = Headers(headers)
        self.web_socket = web_socket
        self._body = prepare_body(body, self.headers)
        self._used = False
        self.url = ""
        self.redirected = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status <= 299

    @property
    def statusText(self) -> str:  # noqa: N802
        return self.status_text or _reason(self.status)

    @property
    def webSocket(self) -> Any:  # noqa: N802
        return self.web_socket

    @classmethod
    def _json_response(cls, data: Any, status: int = 200, status_text: str = "", headers: HeadersInit = None) -> Response:
        """A response whose body is ``data`` as JSON, with content-type application/json."""
        merged = Headers(headers)
        if not merged.has("content-type"):
            merged.set("content-type", "application/json")
        return cls(_json.dumps(data), status=status, status_text=status_text, headers=merged)

    json = _ClassOrInstanceMethod(_json_response, BodyMixin.json)  # type: ignore[assignment]

    @classmethod
    def redirect(cls, url: str, status: int = 302) -> Response:
        if status not in REDIRECT_STATUSES:
            raise ValueError(f"Invalid redirect status code {status}: must be one of {REDIRECT_STATUSES}")
        return cls(None, status=status, headers={"location": str(url)})

    def clone(self) -> Response:
        if self._used:
            raise TypeError("Body has already been used. It can only be used once.")
        if self._body is not None and not isinstance(self._body, bytes):
            raise TypeError("clone() of a streamed body: await response.bytes() first, or build a new Response")
        copy = Response(self._body, self.status, self.status_text, self.headers, self.web_socket)
        copy.url = self.url
        return copy

    def __repr__(self) -> str:
        return f"<Response [{self.status}]>"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class FetchResponse(Response):
    """The response of ``fetch()``: a Response with the final URL."""


def is_response(value: Any) -> bool:
    return isinstance(value, Response)
