"""What one end of a connection sends, written to the peer in order, one frame at a time, with a bound.

A worker's ``send()`` returns at once (as workerd's does: it queues the message and a pump writes it), so a
peer that stops reading would let the queue grow for ever. workerd's queue (``outgoingMessages`` in
api/web-socket.c++) has no bound of its own; what bounds it on Cloudflare is the isolate's 128 MB of memory.
pyflare bounds it at :data:`~pyflare.websockets.constants.MAX_SEND_BACKLOG` bytes waiting: past that the
connection is treated as one whose peer stopped accepting messages (workerd's ``outgoingAborted``): what was
waiting is dropped, the peer is closed, and the worker's end gets an ``error`` event; its later ``send()``
calls are ignored, as workerd ignores sends on an aborted connection.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from pyflare.websockets import constants as c


def message_size(data: str | bytes) -> int:
    """Bytes a message holds while it waits (characters for text: cheap, and what the memory is)."""
    return len(data)


class Outbox:
    """Frames waiting for the peer. ``deliver(item)`` writes one; ``gone`` are the exceptions saying the peer
    has gone (everything waiting is then dropped); ``overflow()`` runs once if :data:`MAX_SEND_BACKLOG` bytes
    are waiting; ``started`` False holds writes back until :meth:`start` (a handshake not yet accepted)."""

    def __init__(self, deliver: Callable[[Any], Awaitable[Any]], *, gone: tuple[type[BaseException], ...],
                 overflow: Callable[[], None], started: bool = True) -> None:
        self._deliver = deliver
        self._gone = gone
        self._overflow = overflow
        self._items: deque[tuple[Any, int]] = deque()
        self.waiting = 0  # bytes of the messages not yet handed to the peer
        self.overflowed = False
        self._started = started
        self._writer: asyncio.Task[None] | None = None

    def put(self, item: Any, size: int = 0) -> None:
        """Queue ``item`` (``size`` bytes of message; 0 for control frames, which are never refused)."""
        if self.overflowed and size:
            return
        if size and self.waiting + size > c.MAX_SEND_BACKLOG:
            self.overflowed = True
            self.drop()
            writer, self._writer = self._writer, None
            if writer is not None:  # stuck writing to a peer that does not read: give up on that frame too
                writer.cancel()
            self._overflow()  # which may queue a Close frame, written by a fresh writer
            return
        self._items.append((item, size))
        self.waiting += size
        self._wake()

    def start(self) -> None:
        self._started = True
        self._wake()

    def drop(self) -> None:
        """Forget everything waiting (the frame being written, if any, finishes)."""
        self._items.clear()
        self.waiting = 0

    @property
    def writer(self) -> asyncio.Task[None] | None:
        return self._writer

    def _wake(self) -> None:
        if self._writer is None and self._started and self._items:
            self._writer = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        try:
            while self._items:
                item, size = self._items.popleft()
                self.waiting -= size
                await self._deliver(item)
        except self._gone:
            self.drop()
        finally:
            if self._writer is asyncio.current_task():
                self._writer = None
