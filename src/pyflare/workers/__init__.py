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


class _CloudflareWorkersModule:
    """``import_from_javascript("cloudflare:workers")``: ``env`` and ``waitUntil`` of the running worker, and
    the entrypoint classes."""

    env = env
    waitUntil = staticmethod(waitUntil)  # noqa: N815 - JS name
    WorkerEntrypoint = WorkerEntrypoint
    DurableObject = DurableObject
    WorkflowEntrypoint = WorkflowEntrypoint

    def __repr__(self) -> str:
        return "<JavaScript module cloudflare:workers>"


def import_from_javascript(name: str) -> object:
    """Cloudflare's way to reach JavaScript modules: ``js`` (the global scope, ``pyflare.workers.js``) and
    ``cloudflare:workers`` (``env``, ``waitUntil``); other modules do not exist under pyflare."""
    if name == "js":
        from pyflare.workers import js

        return js
    if name == "cloudflare:workers":
        return _CloudflareWorkersModule()
    if name == "cloudflare:email":  # EmailMessage, for the send_email binding and message.reply()
        from pyflare.workers import email

        return email
    raise ImportError(f"Failed to import '{name}': no JavaScript module of that name in pyflare "
                      "(js, cloudflare:workers and cloudflare:email are)")


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
