"""Tracebacks of errors in worker code, as a worker's author wants to read them.

An exception raised by a worker passes through pyflare's dispatch (the ASGI app, the runtime, the handler
call) and, at import time, through a dozen ``importlib`` frames. None of those help the author find the bug,
so :func:`format_user_traceback` drops them and keeps the worker's own frames (and those of libraries the
worker called), most recent call last as Python prints it. ``pyflare dev --verbose`` (or
:func:`set_verbose`) shows every frame. If no frame is left (the error is pyflare's own), nothing is hidden.

The ASGI app's 500 page, the worker loader's import errors and the dev server's log formatter all go
through this one function.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from types import TracebackType

_PYFLARE_DIR = str(Path(__file__).resolve().parent.parent) + os.sep  # src/pyflare/
_IMPORTLIB_DIR = str(Path(traceback.__file__).resolve().parent / "importlib") + os.sep

_verbose = False


def set_verbose(verbose: bool) -> None:
    """Show (True) or hide (False, the default) pyflare's and importlib's frames in tracebacks."""
    global _verbose
    _verbose = verbose


def is_verbose() -> bool:
    return _verbose


def is_internal_frame(filename: str) -> bool:
    """Does a frame of this file belong to pyflare or to Python's import machinery?"""
    if filename.startswith("<frozen importlib"):
        return True
    try:
        resolved = str(Path(filename).resolve())
    except (OSError, ValueError):
        return False
    return resolved.startswith(_PYFLARE_DIR) or resolved.startswith(_IMPORTLIB_DIR)


class WorkerMistake(Exception):
    """An error about the worker's code or config raised from inside pyflare (a missing handler...): its
    message says everything, so it is shown without pyflare's frames, which would only bury it."""


def worker_mistake(exc: BaseException) -> BaseException:
    """Mark a built-in exception (a TypeError...) as a :class:`WorkerMistake`: shown without frames, under
    its own familiar name; returns it, for ``raise worker_mistake(TypeError(...))``."""
    exc.pyflare_worker_mistake = True  # type: ignore[attr-defined]
    return exc


def _strip(summary: traceback.TracebackException, exc: BaseException) -> list[str]:
    """Drop internal frames from one exception of a chain; returns the files of those dropped."""
    frames = list(summary.stack)
    if isinstance(exc, WorkerMistake) or getattr(exc, "pyflare_worker_mistake", False):
        summary.stack = traceback.StackSummary.from_list([])
        return []
    kept = [frame for frame in frames if not is_internal_frame(frame.filename)]
    # A SyntaxError names its file and line itself; any other error with no frame of the worker's is
    # pyflare's own, and keeps its frames.
    if len(kept) == len(frames) or (not kept and not isinstance(exc, SyntaxError)):
        return []
    summary.stack = traceback.StackSummary.from_list(kept)
    return [frame.filename for frame in frames if is_internal_frame(frame.filename)]


def format_user_traceback(
    error: BaseException | tuple[type[BaseException], BaseException, TracebackType | None],
    *,
    verbose: bool | None = None,
) -> str:
    """The traceback of ``error`` (an exception, or ``sys.exc_info()``'s triple) with the worker's frames
    only, ending in a newline; ``verbose`` (default: :func:`set_verbose`'s setting) keeps every frame."""
    exc = error[1] if isinstance(error, tuple) else error
    summary = traceback.TracebackException.from_exception(exc)
    if verbose if verbose is not None else _verbose:
        return "".join(summary.format())
    hidden: list[str] = []
    seen: set[int] = set()
    pending: list[tuple[traceback.TracebackException, BaseException]] = [(summary, exc)]
    while pending:  # the exception and everything chained to it (raise ... from ..., during handling ...)
        current, original = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        hidden += _strip(current, original)
        for chained, chained_exc in ((current.__cause__, original.__cause__),
                                     (current.__context__, original.__context__)):
            if chained is not None and chained_exc is not None:
                pending.append((chained, chained_exc))
    text = "".join(summary.format())
    if hidden:
        whose = "pyflare and importlib" if any("importlib" in name for name in hidden) else "pyflare"
        text += f"({len(hidden)} frame{'s' if len(hidden) != 1 else ''} of {whose} hidden; " \
                "pyflare dev --verbose shows them)\n"
    return text
