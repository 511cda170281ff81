"""The execution context of a handler, and the module-level ``env`` and ``wait_until``."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from pyflare.kernel.context import current_worker
from pyflare.kernel.tracing import extend


class AccessContext:
    """``ctx.access`` of a request behind Cloudflare Access: the application's ``aud`` and the user's identity
    (what ``/cdn-cgi/access/get-identity`` answers; None for a service token). Locally it comes from the
    config's ``[access.dev]`` (``aud``, ``identity``), as in wrangler dev."""

    __slots__ = ("_identity", "aud")

    def __init__(self, aud: str, identity: dict[str, Any] | None = None) -> None:
        self.aud = aud
        self._identity = identity

    async def getIdentity(self) -> Any:  # noqa: N802 - Cloudflare's name
        from pyflare.kernel.jsdict import to_jsdict

        return to_jsdict(dict(self._identity)) if self._identity is not None else None

    def __repr__(self) -> str:
        return f"<AccessContext aud={self.aud!r}>"


class ExecutionContext:
    """``ctx``: keeps work going after the response (``waitUntil``); ``ctx.access`` for a request behind
    Cloudflare Access (None otherwise, as ``undefined`` on Cloudflare)."""

    def __init__(self, spawn: Callable[[Awaitable[Any], str], Any], props: dict[str, Any] | None = None) -> None:
        self._spawn = spawn
        self.props = props or {}
        self.access: AccessContext | None = None

    def waitUntil(self, awaitable: Awaitable[Any]) -> None:  # noqa: N802 - Cloudflare's name
        """Run ``awaitable`` to completion even after the response has been sent; failures are logged."""
        if not inspect.isawaitable(awaitable):
            raise TypeError(f"waitUntil() takes a coroutine or awaitable, not {type(awaitable).__name__}")
        extend(self._spawn(awaitable, "waitUntil"))  # the running event lasts until it finishes, as on Cloudflare

    def passThroughOnException(self) -> None:  # noqa: N802
        """Accepted for compatibility; locally there is no origin to pass through to."""


class _EnvProxy:
    """``from workers import env``: the env of whichever worker is running the current code."""

    def _target(self) -> Any:
        worker = current_worker.get()
        if worker is None:
            raise RuntimeError("workers.env is only available inside a worker loaded by pyflare")
        return worker.env

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)

    def __getitem__(self, name: str) -> Any:
        return self._target()[name]

    def __contains__(self, name: str) -> bool:
        return name in self._target()

    def __repr__(self) -> str:
        worker = current_worker.get()
        return repr(worker.env) if worker is not None else "<workers.env (no worker running)>"


env = _EnvProxy()


def wait_until(awaitable: Awaitable[Any]) -> None:
    """Module-level ``waitUntil`` for the worker running the current code."""
    worker = current_worker.get()
    if worker is None:
        raise RuntimeError("workers.wait_until is only available inside a worker loaded by pyflare")
    if not inspect.isawaitable(awaitable):
        raise TypeError(f"wait_until() takes a coroutine or awaitable, not {type(awaitable).__name__}")
    extend(worker.spawn(awaitable, "waitUntil"))


waitUntil = wait_until
