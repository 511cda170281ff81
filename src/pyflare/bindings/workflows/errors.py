"""Errors the Workflows binding and engine raise, with Cloudflare's names and texts.

Binding errors read ``(code) message`` as production's do (``(instance.not_found) Instance not found``).
Errors raised inside ``run()`` keep the engine's class names (``WorkflowFatalError``,
``WorkflowTimeoutError``), since ``status()["error"]["name"]`` reports them.
"""

from __future__ import annotations

INTERNAL_SERVER_ERROR = "workflows.api.error.internal_server"  # Miniflare's code for a failure of its own


class WorkflowError(Exception):
    """A binding call Cloudflare refused: ``str(e)`` is ``(code) message``."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.detail = message
        super().__init__(f"({code}) {message}" if code else message)


class WorkflowFatalError(Exception):
    """A step (or the instance) failed in a way retries cannot fix: bad step name or config, step limit."""


class WorkflowTimeoutError(Exception):
    """A step attempt or a wait_for_event ran past its timeout."""


class WorkflowInternalError(Exception):
    """The engine could not store what a step produced."""


class InstanceAborted(BaseException):  # noqa: N818 - control flow, not an error users catch
    """Ends a run from inside a step, past any ``except Exception`` in user code (an engine abort)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.error = {"name": name, "message": message}


def not_found() -> WorkflowError:
    return WorkflowError("instance.not_found", "Instance not found")
