"""Response: what a worker returns from fetch, and what ``fetch()`` gives back."""

from __future__ import annotations

import json as _json
from http import HTTPStatus
from typing import Any

from pyflare.workers._body import BodyMixin, prepare_body
from pyflare.workers._headers import Headers, HeadersInit
from pyflare.workers.pyodide.http import HttpStatusError

REDIRECT_STATUSES = (301, 302, 303, 307, 308)
NULL_BODY_STATUSES = (101, 204, 205, 304)


class _ClassOrInstanceMethod:
    """``Response.json(data)`` builds a response; ``await response.json()`` reads one (as in the SDK)."""

    def __init__(self, on_class: Any, on_instance: Any) -> None:
        self.on_class, self.on_instance = on_class, on_instance

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return self.on_class.__get__(owner, owner)
        return self.on_instance.__get__(instance, owner)


class Response(BodyMixin):
    """An HTTP response. ``body``: str, bytes, FormData, None, or a ReadableStream (e.g. another body)."""

    def __init__(
        self,
        body: Any = None,
        status: int | None = None,
        status_text: str = "",
        headers: HeadersInit = None,
        web_socket: Any = None,
    ) -> None:
        if isinstance(body, Response):  # Response(js_response), as the SDK allows: a copy of it
            if status is not None or status_text or headers is not None:
                raise ValueError("Expected no options when constructing Response from a js.Response")
            status, status_text, headers = body.status, body._status_text, body.headers
            web_socket, body = body.web_socket, body._take()
        status = int(status) if status else 200
        if web_socket is not None and status != 101:
            raise ValueError("Responses with a WebSocket must have status code 101.")
        if not (200 <= status <= 599) and web_socket is None:
            raise ValueError(f"Response status must be in the range 200 to 599, inclusive (got {status}).")
        if headers is not None and not isinstance(headers, (dict, list, tuple, Headers)):
            raise TypeError("Received unexpected type for headers argument")
        self.status = status
        self._status_text = status_text
        self.headers = Headers(headers)
        self.web_socket = web_socket
        self._body = prepare_body(body, self.headers)
        if status in NULL_BODY_STATUSES and self._body not in (None, b""):
            raise TypeError(f"Response with null body status ({status}) cannot have a body.")
        self._used = False
        self.url = ""
        self.redirected = False
        self.type = "default"

    @property
    def ok(self) -> bool:
        return 200 <= self.status <= 299

    @property
    def status_text(self) -> str:
        """The reason phrase: the one given, else the standard one ("OK", "Not Found", ...)."""
        return self._status_text or _reason(self.status)

    statusText = status_text  # noqa: N815 - JS spelling

    @property
    def webSocket(self) -> Any:  # noqa: N802
        return self.web_socket

    @classmethod
    def _json_response(
        cls, data: Any, status: int = 200, status_text: str = "", headers: HeadersInit = None
    ) -> Response:
        """A response whose body is ``json.dumps(data)``, with content-type application/json."""
        merged = Headers(headers)
        if not merged.has("content-type"):
            merged.set("content-type", "application/json")
        return cls(_json.dumps(data), status=status, status_text=status_text, headers=merged)

    json = _ClassOrInstanceMethod(_json_response, BodyMixin.json)  # type: ignore[assignment]

    @classmethod
    def redirect(cls, url: str, status: int = 302) -> Response:
        """A redirect to ``url`` (parsed as the URL Standard does, as workerd does since 2023-03-14); a status
        that is not a redirect is workerd's RangeError, which the SDK raises as ValueError."""
        status = int(status)
        if status not in REDIRECT_STATUSES:
            raise ValueError(f"{status} is not a redirect status code. It must be one of: 301, 302, 303, 307, "
                             "or 308.")
        import ada_url  # the URL parser workerd uses (imported on first use)

        text = str(url)
        try:
            href = ada_url.URL(text).href
        except ValueError:
            raise TypeError(f"Unable to parse URL: {text}") from None
        return cls(None, status=status, headers={"location": href})

    async def formData(self):  # noqa: N802 - the SDK has this alias on Response only
        return await self.form_data()

    async def string(self) -> str:
        """Deprecated alias of text(), kept by the SDK."""
        return await self.text()

    async def memoryview(self) -> memoryview:
        return memoryview(await self.bytes())

    def raise_for_status(self) -> None:
        if 400 <= self.status < 600:
            raise HttpStatusError(self.status, self.status_text, self.url)

    def clone(self) -> Response:
        body = self._take()
        if isinstance(body, bytes) or body is None:
            self._used = False
            copy = Response(body, self.status, self._status_text, self.headers, self.web_socket)
        else:
            raise TypeError("clone() of a streamed body: await response.bytes() first, then build new Responses")
        copy.url = self.url
        return copy

    def replace_body(self, body: Any) -> Response:
        """A new Response with the same status and headers and another body."""
        return Response(body, self.status, self._status_text, self.headers)

    def __repr__(self) -> str:
        return f"Response(status={self.status}, content_type={self.headers.get('content-type')!r})"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class FetchResponse(Response):
    """The response of ``fetch()``: a Response with the final URL."""
