"""``ctx`` of a Durable Object (DurableObjectState): id, storage, waitUntil, blockConcurrencyWhile, abort.

WebSocket hibernation (``acceptWebSocket``, ``getWebSockets``, ``getTags``, auto-responses...) is in
:mod:`~pyflare.bindings.durable_objects.hibernation`; the methods here call it.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pyflare.bindings.durable_objects import constants as C
from pyflare.bindings.durable_objects import hibernation
from pyflare.bindings.durable_objects.errors import BlockConcurrencyError, DurableObjectAbort
from pyflare.bindings.durable_objects.storage import DurableObjectStorage
from pyflare.kernel.stash import StashKey

if TYPE_CHECKING:
    from pyflare.bindings.durable_objects.host import ClassHost
    from pyflare.bindings.durable_objects.namespace import DurableObjectId
    from pyflare.objects import LiveObject, ObjectAddress

# (object address, nesting depth) of the blockConcurrencyWhile() callback running in this task, if any.
_blocking: contextvars.ContextVar[tuple[Any, int] | None] = contextvars.ContextVar("pyflare_do_blocking",
                                                                                    default=None)

# The ctx of a live object, and its running blockConcurrencyWhile() callback (in LiveObject.stash).
STATE = StashKey["DurableObjectState"]("Durable Object ctx")
BLOCKING = StashKey["asyncio.Future[Any]"]("blockConcurrencyWhile")


class DurableObjectState:
    """What a Durable Object's ``__init__`` receives as ``ctx``."""

    def __init__(self, host: ClassHost, live: LiveObject, object_id: DurableObjectId) -> None:
        self._host = host
        self._live = live
        self.id = object_id
        self.storage = DurableObjectStorage(host, live.address)
        self.props: dict[str, Any] = {}

    @property
    def host(self) -> ClassHost:
        """The class host this object belongs to."""
        return self._host

    @property
    def address(self) -> ObjectAddress:
        return self._live.address

    # -- WebSocket hibernation (pyflare.bindings.durable_objects.hibernation) -------------------------
    def acceptWebSocket(self, ws: Any, tags: Any = None) -> None:  # noqa: N802 - Cloudflare's names
        hibernation.accept_websocket(self.host, self.address, ws, tags)

    def getWebSockets(self, tag: str | None = None) -> list[Any]:  # noqa: N802
        return hibernation.get_websockets(self.host, self.address, tag)

    def getTags(self, ws: Any) -> list[str]:  # noqa: N802
        return hibernation.get_tags(self.host, self.address, ws)

    def setWebSocketAutoResponse(self, pair: Any = None) -> None:  # noqa: N802
        hibernation.set_auto_response(self.host, self.address, pair)

    def getWebSocketAutoResponse(self) -> Any:  # noqa: N802
        return hibernation.get_auto_response(self.host, self.address)

    def getWebSocketAutoResponseTimestamp(self, ws: Any) -> Any:  # noqa: N802
        return hibernation.get_auto_response_timestamp(self.host, self.address, ws)

    def setHibernatableWebSocketEventTimeout(self, timeout_ms: Any = None) -> None:  # noqa: N802
        hibernation.set_event_timeout(self.host, self.address, timeout_ms)

    def getHibernatableWebSocketEventTimeout(self) -> int | None:  # noqa: N802
        return hibernation.get_event_timeout(self.host, self.address)

    def waitUntil(self, awaitable: Awaitable[Any]) -> None:  # noqa: N802 - Cloudflare's name
        if not inspect.isawaitable(awaitable):
            raise TypeError(f"waitUntil() takes a coroutine or awaitable, not {type(awaitable).__name__}")
        self._host.spawn(awaitable, f"waitUntil in {self._live.address}")

    wait_until = waitUntil

    def blockConcurrencyWhile(self, callback: Callable[[], Any]) -> Awaitable[Any]:  # noqa: N802
        """Run ``callback`` with no other event delivered to this object until it finishes; returns its value.

        Starts at once (an un-awaited call in ``__init__`` still holds back the first event). A callback
        that throws, or runs over 30 s on the clock, resets the object."""
        live = self._live
        current = _blocking.get()
        if current is not None and current[0] == live.address:
            depth = current[1] + 1
            if depth > C.MAX_BLOCK_CONCURRENCY_DEPTH:
                raise BlockConcurrencyError(C.BLOCK_CONCURRENCY_TOO_DEEP)
            return _nested(callback, live.address, depth)
        previous: asyncio.Future[Any] | None = live.stash.get(BLOCKING, None)
        live.close_gate()
        task = asyncio.ensure_future(self._run_blocking(callback, previous))
        live.stash[BLOCKING] = task
        return task

    async def _run_blocking(self, callback: Callable[[], Any], previous: asyncio.Future[Any] | None) -> Any:
        live = self._live
        if previous is not None and not previous.done():
            await asyncio.wait([previous])
        _blocking.set((live.address, 1))
        task = asyncio.current_task()
        timed_out = False

        def time_out() -> None:
            nonlocal timed_out
            timed_out = True
            if task is not None:
                task.cancel()

        timer = self._host.clock.call_later(C.BLOCK_CONCURRENCY_TIMEOUT, time_out)
        try:
            result = callback() if callable(callback) else callback
            if inspect.isawaitable(result):
                result = await result
            return result
        except asyncio.CancelledError:
            if timed_out:
                self._host.reset(live, "blockConcurrencyWhile() timed out")
                raise BlockConcurrencyError(C.BLOCK_CONCURRENCY_TOO_LONG) from None
            raise
        except BaseException:
            self._host.reset(live, "blockConcurrencyWhile() callback threw")
            raise
        finally:
            timer.cancel()
            if live.stash.get(BLOCKING, None) is task:
                del live.stash[BLOCKING]
                live.open_gate()

    def abort(self, reason: str | None = None) -> None:
        """Reset the object: the handler stops here (DurableObjectAbort) and the next event constructs it anew."""
        self._host.reset(self._live, "abort() called")
        raise DurableObjectAbort(reason or C.PY_ABORT_DEFAULT)


async def _nested(callback: Callable[[], Any], address: Any, depth: int) -> Any:
    token = _blocking.set((address, depth))
    try:
        result = callback() if callable(callback) else callback
        if inspect.isawaitable(result):
            result = await result
        return result
    finally:
        _blocking.reset(token)
