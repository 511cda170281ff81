"""pyflare's CPython implementation of Cloudflare's Python Workers API (the ``workers`` module).

Worker code imports it as ``workers``: pyflare's loader maps that name here for each worker's modules,
without installing a top-level ``workers`` package. Where this differs from Cloudflare's SDK it says so
in docs/python-api.md. ``rpc`` holds the Python RPC value rules (as the SDK's ``workers/rpc.py``); pyflare's
own code reaches the SDK's internals only through ``host``.
"""

from pyflare.kernel.jsdict import JsDict
from pyflare.workers import asgi, wsgi  # ``from workers import wsgi`` as in Cloudflare's SDK
from pyflare.workers._context import ExecutionContext, env, wait_until, waitUntil
from pyflare.workers._entrypoints import DurableObject, WorkerEntrypoint, WorkflowEntrypoint, handler
from pyflare.workers._fetch import fetch
from pyflare.workers._formdata import Blob, File, FormData
from pyflare.workers._headers import Headers
from pyflare.workers._request import Request
from pyflare.workers._response import FetchResponse, Response
from pyflare.workers._streams import ReadableStream
from pyflare.workers.rpc import python_from_rpc, python_to_rpc


def import_from_javascript(name: str) -> object:
    """Cloudflare's way to reach JS modules; pyflare offers the few shims in ``pyflare.workers.js``."""
    if name in ("js", "cloudflare:workers"):
        from pyflare.workers import js

        return js
    if name == "cloudflare:email":  # EmailMessage, for the send_email binding and message.reply()
        from pyflare.workers import email

        return email
    raise ImportError(f"import_from_javascript({name!r}): no JavaScript module of that name in pyflare")


__all__ = [
    "Blob",
    "DurableObject",
    "ExecutionContext",
    "FetchResponse",
    "File",
    "FormData",
    "Headers",
    "JsDict",
    "ReadableStream",
    "Request",
    "Response",
    "WorkerEntrypoint",
    "WorkflowEntrypoint",
    "asgi",
    "env",
    "fetch",
    "handler",
    "import_from_javascript",
    "python_from_rpc",
    "python_to_rpc",
    "wait_until",
    "waitUntil",
    "wsgi",
]
