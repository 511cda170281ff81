"""``workers.wsgi.fetch(app, request, env)``: serve a request with a WSGI app (Django, Flask...).

As in Cloudflare's SDK, the environ follows PEP 3333 and carries the bindings as ``environ["workers.env"]``.
On Cloudflare the app runs synchronously on the isolate's thread and reaches async APIs (a D1 query in
django-cf) through ``pyodide.ffi.run_sync`` and JSPI. CPython has no stack switching, so pyflare runs the
app in a helper thread where ``run_sync`` hands each awaitable to the worker's event loop and waits.
"""

from __future__ import annotations

import io
import logging
import sys
from typing import Any
from urllib.parse import unquote, urlsplit

from pyflare.workers._request import Request
from pyflare.workers._response import Response
from pyflare.workers.pyodide.ffi import run_in_thread

logger = logging.getLogger("wsgi")
NULL_BODY_STATUSES = frozenset({101, 103, 204, 205, 304})


def _native(value: str) -> str:
    """A PEP 3333 "native string": the UTF-8 bytes of ``value`` as latin-1 code points."""
    return value.encode("utf-8").decode("latin-1")


def build_environ(request: Request, env: Any, body: bytes) -> dict[str, Any]:
    url = urlsplit(request.url)
    if not url.scheme:
        raise ValueError(f"Request URL is not absolute: {request.url!r}")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": str(request.method),
        "SCRIPT_NAME": "",
        "PATH_INFO": _native(unquote(url.path or "/")),
        "QUERY_STRING": url.query,
        "SERVER_NAME": url.hostname or "localhost",
        "SERVER_PORT": str(url.port) if url.port else ("443" if url.scheme == "https" else "80"),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": request.headers.get("cf-connecting-ip") or "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "workers.env": env,
    }
    for key, value in request.headers.items():
        name = key.upper().replace("-", "_")
        if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[name] = value
        elif f"HTTP_{name}" in environ:
            environ[f"HTTP_{name}"] += "," + value
        else:
            environ[f"HTTP_{name}"] = value
    if "CONTENT_LENGTH" not in environ and body:
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


def _run(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    state: dict[str, Any] = {"status": None, "headers": None}
    written: list[bytes] = []

    def write(chunk: bytes) -> None:
        if state["status"] is None:
            raise AssertionError("write() called before start_response()")
        written.append(chunk)

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info is not None:
            try:
                if state["status"] is not None:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif state["status"] is not None:
            raise AssertionError("start_response() called more than once")
        state["status"], state["headers"] = status, headers
        return write

    result = app(environ, start_response)
    try:
        for chunk in result:
            if chunk:
                written.append(chunk)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if state["status"] is None:
        raise RuntimeError("The WSGI application did not call start_response()")
    return state["status"], state["headers"], b"".join(written)


async def fetch(app: Any, request: Request, env: Any, ctx: Any = None) -> Response:
    """Run the WSGI ``app`` for ``request`` and return its response."""
    logger.debug("WSGI request: %s %s", request.method, request.url)
    body = await request.bytes() if request._body is not None else b""
    environ = build_environ(request, env, body)
    status, headers, data = await run_in_thread(_run, app, environ)
    code, _, reason = status.partition(" ")
    return Response(None if int(code) in NULL_BODY_STATUSES else data, status=int(code), status_text=reason,
                    headers=list(headers))
