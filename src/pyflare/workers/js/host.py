"""What pyflare's runtime uses of ``js`` that worker code never does (worker code imports ``js``; the runtime
imports this module, never the private ones)."""

from __future__ import annotations

from pyflare.workers import Request
from pyflare.workers.js._fetchapi import as_js_request

__all__ = ["javascript_request"]


def javascript_request(request: Request) -> Request:
    """``request`` as a top-level ``on_fetch`` handler receives it on Cloudflare: the JavaScript Request."""
    return as_js_request(request)
