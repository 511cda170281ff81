"""The scheduled-event endpoints ``pyflare dev`` serves beside the worker, as wrangler dev does.

- ``/cdn-cgi/local/scheduled?cron=<expr>&time=<ms>[&format=json]`` (Miniflare's current path) runs the
  scheduled handler; the answer is its outcome, ``ok`` (200) or ``exception`` (500), or the whole result as
  JSON with ``format=json``. Older paths are rewritten to the current one as wrangler's proxy rewrites them:
  ``/cdn-cgi/handler/*`` -> ``/cdn-cgi/local/*`` and ``/cdn-cgi/mf/scheduled`` -> ``/cdn-cgi/local/scheduled``.
- ``/__scheduled?cron=<expr>`` does the same only when ``--test-scheduled`` is given (answering "Ran
  scheduled event", as wrangler's middleware does); otherwise that path belongs to the worker.
Like wrangler's, these answer any method; like every pyflare-owned endpoint they answer only local
requests (:mod:`pyflare.runtime.guard`, checked by the app before it routes here).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from pyflare.runtime.respond import Send, error_page, plain, send_plain
from pyflare.runtime.runtime import Runtime
from pyflare.runtime.worker import WorkerLoadError

SCHEDULED_PATH = "/cdn-cgi/local/scheduled"
TEST_SCHEDULED_PATH = "/__scheduled"

# wrangler's proxy maps the paths of older Miniflare versions onto the current ones.
LEGACY_PREFIXES = (("/cdn-cgi/handler", "/cdn-cgi/local"), ("/cdn-cgi/mf/scheduled", SCHEDULED_PATH))


def current_path(path: str) -> str:
    """``path`` with a legacy ``/cdn-cgi/`` prefix rewritten to the current one."""
    for old, new in LEGACY_PREFIXES:
        if path == old or path.startswith(old + "/"):
            return new + path[len(old):]
    return path


async def scheduled(runtime: Runtime, scope: dict[str, Any], send: Send, *, test_scheduled: bool = False) -> int:
    """Run the scheduled handler for a request to one of the scheduled paths; returns the status sent."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    cron = query.get("cron", [""])[0]
    when = query.get("time", [None])[0]
    try:
        scheduled_time = float(when) / 1000 if when else None
    except ValueError:
        return await send_plain(send, *plain(400, f"Invalid time parameter {when!r}: milliseconds expected"))
    try:
        result = await runtime.scheduled(cron=cron, scheduled_time=scheduled_time)
    except WorkerLoadError as exc:
        return await send_plain(send, *error_page(exc, dev=True))
    status = 200 if result["outcome"] == "ok" else 500
    if test_scheduled:
        text = "Ran scheduled event" if status == 200 else f"Scheduled handler failed: {result.get('error')}"
        return await send_plain(send, *plain(status, text))
    if query.get("format", [""])[0] == "json":
        body = json.dumps({"outcome": result["outcome"], "noRetry": result["noRetry"]}).encode()
        return await send_plain(send, status, [(b"content-type", b"application/json"),
                                               (b"content-length", b"%d" % len(body))], body)
    return await send_plain(send, *plain(status, result["outcome"]))
