"""The explorer's live view: the last requests every worker served and the log lines around them, kept
in memory (a bounded ring, nothing persisted) and read by the page with ``?after=<seq>`` polling."""

from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from typing import Any

MAX_ENTRIES = 1000
# Loggers of the server stack, not of the worker or pyflare: left out of the view.
_QUIET = ("uvicorn", "httpx", "httpcore", "asyncio", "watchfiles", "botocore", "urllib3", "hpack")


def _request_entry(entry: tuple[Any, ...]) -> dict[str, Any]:
    seq, when, worker, method, path, status, seconds = entry
    return {"seq": seq, "time": when, "kind": "request", "worker": worker, "method": method, "path": path,
            "status": status, "duration_ms": round(seconds * 1000, 2)}


class Activity(logging.Handler):
    """Requests (fed by the app's observer hook) and log records (as a logging handler), in order."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.entries: deque[dict[str, Any]] = deque(maxlen=MAX_ENTRIES)
        self._seq = itertools.count(1)

    def request(self, worker: str, method: str, path: str, status: int, started: float) -> None:
        if path.startswith("/cdn-cgi/local/explorer"):
            return  # the explorer's own polling would drown everything else
        # A tuple now, the dict when the page asks (since()): this runs on every request.
        self.entries.append((next(self._seq), time.time(), worker, method, path, status,
                             time.perf_counter() - started))

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(_QUIET):
            return
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken log call must not break the server
            message = str(record.msg)
        self.entries.append({"seq": next(self._seq), "time": record.created, "kind": "log",
                             "level": record.levelname.lower(), "logger": record.name, "message": message})

    def since(self, after: int) -> list[dict[str, Any]]:
        return [_request_entry(entry) if type(entry) is tuple else entry
                for entry in self.entries if (entry[0] if type(entry) is tuple else entry["seq"]) > after]

    def attach(self) -> None:
        logging.getLogger().addHandler(self)

    def detach(self) -> None:
        logging.getLogger().removeHandler(self)
