"""What ``pyflare dev`` writes to the terminal: pyflare's own log lines and the worker's output.

- pyflare's messages (logger ``pyflare``): ``[pyflare] LEVEL message``.
- The worker's output, as ``wrangler dev`` shows ``console.log``: ``console.*`` (logger ``pyflare.worker``),
  ``logging.info(...)`` and any logger of the worker's modules at INFO and above, shown as the bare message
  (warnings and errors prefixed with their level). Chatty libraries pyflare itself uses stay at WARNING.
- ``--log-format json``: every line above is one JSON object on stderr
  (``{"type": "log", "level": ..., "logger": ..., "message": ...}``), and so is each line the worker prints
  (``"logger": "print"``); stdout then carries only the ``Ready on`` line.

Tracebacks in log records go through :func:`pyflare.runtime.errors.format_user_traceback`.
"""

from __future__ import annotations

import io
import json
import logging
import sys
from typing import Any, TextIO

from pyflare.runtime.errors import format_user_traceback

# Libraries pyflare runs on whose INFO lines are noise in a worker's log.
QUIET_LIBRARIES = ("asyncio", "aiosqlite", "httpx", "httpcore", "watchfiles", "uvicorn", "multipart",
                   "python_multipart", "croniter")

_real_stdout: TextIO | None = None


def is_worker_record(record: logging.LogRecord) -> bool:
    """Did the worker write this (console.*, logging, print) rather than pyflare?"""
    return record.name == "pyflare.worker" or record.name.startswith("pyflare.worker.") or not (
        record.name == "pyflare" or record.name.startswith("pyflare.")
    )


class PrettyFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if is_worker_record(record):
            text = message if record.levelno < logging.WARNING else f"[{record.levelname}] {message}"
        else:
            text = f"[pyflare] {record.levelname} {message}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info).rstrip("\n")
        return text

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return format_user_traceback(ei)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"type": "log", "level": record.levelname.lower(), "logger": record.name,
                 "message": record.getMessage()}
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return format_user_traceback(ei)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (pytest's capture swaps it)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


class PrintToLog(io.TextIOBase):
    """Stands in for stdout under ``--log-format json``: each printed line becomes one log record."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._logger.info(line)
        return len(text)

    def flush(self) -> None:
        if self._pending:
            line, self._pending = self._pending, ""
            self._logger.info(line)


def setup_logging(fmt: str) -> None:
    """Route pyflare's and the worker's logs to stderr in ``fmt`` (``pretty`` or ``json``)."""
    global _real_stdout
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else PrettyFormatter())
    own = logging.getLogger("pyflare")
    own.handlers[:] = [handler]
    own.setLevel(logging.INFO)
    own.propagate = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)  # Python's warnings become log lines (JSON lines under --log-format json)
    if _real_stdout is None:
        _real_stdout = sys.stdout
    with_lines = getattr(_real_stdout, "reconfigure", None)
    if with_lines is not None:  # a worker's print shows at once, also when stdout is a pipe
        with_lines(line_buffering=True)
    if fmt == "json":
        sys.stdout = PrintToLog(logging.getLogger("print"))  # type: ignore[assignment]


def console_out() -> TextIO:
    """The real stdout, for the lines scripts read (``Ready on ...``), whatever ``print`` is wrapped into."""
    return _real_stdout or sys.stdout
