"""Debuggers on the worker's code under ``pyflare dev``.

The worker runs in ``pyflare dev``'s own process and main thread, with its modules loaded from their real
files, so debuggers see its frames as they are on disk:

- ``breakpoint()`` in a handler opens pdb on the terminal (stdin/stdout of ``pyflare dev``) and holds that
  request (and the event loop) until ``continue``. pdb's own Ctrl-C handling is off
  (:func:`terminal_breakpoints`), so Ctrl-C after a session still stops ``pyflare dev``;
  ``PYTHONBREAKPOINT`` still chooses another debugger, or ``0`` none.
- ``--debug``: debugpy (the Python debugger of VS Code and of other editors that speak the Debug Adapter
  Protocol) listens on 127.0.0.1 only, since anyone who can attach can run code in the process; a
  breakpoint set on a line of ``src/entry.py`` stops the request that reaches it, and ``breakpoint()`` stops
  in the attached editor. debugpy is imported only with ``--debug``; where it is missing, the error is one
  line naming the extra that installs it.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from pyflare.kernel.distribution import require

DEFAULT_PORT = 5678  # debugpy's own default, which VS Code's "Remote Attach" configuration proposes
HOST = "127.0.0.1"


class DebuggerUnavailable(Exception):
    """The debugger could not listen (port in use...); the message says why, in one line."""


def listen(port: int) -> tuple[str, int]:
    """Start debugpy listening on 127.0.0.1:``port`` (0: any free port); returns where it listens."""
    # debugpy warns that frozen standard-library modules may miss breakpoints; the worker's modules are
    # never frozen, so the warning would only be noise in pyflare dev's output.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    debugpy = require("debugpy", feature="pyflare dev --debug", package="debugpy", extra="debug")
    try:
        host, bound = debugpy.listen((HOST, port))
    except (RuntimeError, OSError) as exc:  # debugpy: "Can't listen for client connections: [Errno 98] ..."
        reason = str(exc).rsplit(": ", 1)[-1]
        raise DebuggerUnavailable(f"the debugger cannot listen on {HOST}:{port}: {reason}; "
                                  "pass another --debug-port") from None
    print(f"Debugger listening on {host}:{bound}: attach VS Code (\"Python Debugger: Remote Attach\", "
          f"port {bound}) or any debugpy client; breakpoints in the worker's files stop its requests",
          file=sys.stderr, flush=True)
    return host, bound


def terminal_breakpoints() -> None:
    """``breakpoint()`` opens pdb without pdb's SIGINT handler: after ``continue`` pdb would otherwise keep
    Ctrl-C, and Ctrl-C would stop in the debugger inside the event loop instead of stopping pyflare dev."""
    if os.environ.get("PYTHONBREAKPOINT") is None and sys.breakpointhook is sys.__breakpointhook__:
        sys.breakpointhook = _pdb_without_sigint


def _pdb_without_sigint(*args: Any, header: str | None = None, **kwargs: Any) -> None:
    import pdb

    debugger = pdb.Pdb(nosigint=True)
    if header is not None:
        debugger.message(header)
    debugger.set_trace(sys._getframe(1))
