"""The producer binding (``env.MY_QUEUE``): ``send`` and ``sendBatch``, validated and stored before returning."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from pyflare.bindings.queues import serialization, validation
from pyflare.bindings.queues.errors import QueueSendError
from pyflare.bindings.queues.store import Backlog, MessageStore, NewMessage
from pyflare.kernel.clock import Clock
from pyflare.kernel.jsconvert import naive_utc
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.tracing import traced
from pyflare.storage.errors import StorageError


def new_message_id() -> str:
    """A message id as Cloudflare makes them: 32 hex digits."""
    return secrets.token_hex(16)


def _send_response(backlog: Backlog) -> JsDict:
    """What send()/sendBatch() resolve to: ``{metadata: {metrics: {backlogCount, backlogBytes,
    oldestMessageTimestamp?}}}``, the queue's backlog when the message arrived (workerd's SendResponse; the
    oldest timestamp, a Date, is a naive UTC datetime in Python, and is left out when the queue was empty)."""
    metrics = JsDict(backlogCount=backlog.count, backlogBytes=backlog.bytes)
    if backlog.oldest_ms is not None:
        metrics["oldestMessageTimestamp"] = naive_utc(
            datetime.fromtimestamp(backlog.oldest_ms / 1000, tz=timezone.utc))
    return JsDict(metadata=JsDict(metrics=metrics))


def _span_attributes(queue: Queue, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    attributes: dict[str, Any] = {"cloudflare.binding.type": "QUEUE", "cloudflare.binding.name": queue.binding,
                                  "cloudflare.queue.name": queue.queue_name}
    if method == "sendBatch" and args and isinstance(args[0], Sequence):
        attributes["cloudflare.queue.batch_size"] = len(args[0])
    return attributes


@traced("queue", {"send": "queue_send", "sendBatch": "queue_sendBatch"}, _span_attributes)
class Queue:
    """A queue producer binding. Awaiting ``send``/``sendBatch`` means the messages are durably stored."""

    def __init__(
        self,
        queue_name: str,
        store: MessageStore,
        clock: Clock,
        notify: Callable[[str], None],
        *,
        delivery_delay: int = 0,
        default_content_type: str = "json",
        binding: str = "",
    ) -> None:
        self.queue_name = queue_name
        self.binding = binding
        self._store = store
        self._clock = clock
        self._notify = notify
        self._delivery_delay = delivery_delay
        self._default_content_type = default_content_type
        # What the banner says of the queue's consumer (set by the plugin: another process may consume it).
        self.banner_mode_of: Callable[[str], str] | None = None

    @property
    def banner_mode(self) -> str:
        return self.banner_mode_of(self.queue_name) if self.banner_mode_of is not None else "local"

    async def send(
        self,
        body: Any,
        options: dict[str, Any] | None = None,
        *,
        contentType: str | None = None,  # noqa: N803 - Cloudflare's names
        delaySeconds: int | None = None,  # noqa: N803
    ) -> JsDict:
        """Send one message; ``contentType`` text|json|bytes|v8, ``delaySeconds`` 0..43200."""
        opts = validation.options(options, "send", "QueueSendOptions")
        contentType = opts.get("contentType", contentType)
        delaySeconds = opts.get("delaySeconds", delaySeconds)
        kind = validation.content_type(contentType) if contentType is not None else self._default_content_type
        delay = validation.delay(delaySeconds, "send")
        data = serialization.encode(body, kind)
        validation.message_size(len(data))
        now = self._clock.time()
        message = NewMessage(new_message_id(), int(now * 1000), kind, data,
                             now + (delay if delay is not None else self._delivery_delay))
        backlog = await self._append("send", [message])
        self._notify(self.queue_name)
        return _send_response(backlog)

    async def sendBatch(  # noqa: N802 - Cloudflare's name
        self,
        messages: Sequence[dict[str, Any]],
        options: dict[str, Any] | None = None,
        *,
        delaySeconds: int | None = None,  # noqa: N803
    ) -> JsDict:
        """Send up to 100 messages (256 KB in all) atomically; each is ``{"body", "contentType"?, "delaySeconds"?}``."""
        delaySeconds = validation.options(options, "sendBatch", "QueueSendBatchOptions").get("delaySeconds", delaySeconds)
        items = validation.batch_messages(messages)
        validation.batch_not_empty(len(items))
        batch_delay = validation.delay(delaySeconds, "sendBatch")
        now = self._clock.time()
        stored: list[NewMessage] = []
        largest = total = 0
        for index, raw in enumerate(items):
            item = validation.batch_item(raw, index)
            body = item.get("body", validation.UNDEFINED)
            validation.body_present(body)
            kind = (validation.content_type(item["contentType"]) if item.get("contentType") is not None
                    else self._default_content_type)
            delay = validation.delay(item.get("delaySeconds"), "sendBatch")
            data = serialization.encode(body, kind)
            largest, total = max(largest, len(data)), total + len(data)
            if delay is None:
                delay = batch_delay if batch_delay is not None else self._delivery_delay
            stored.append(NewMessage(new_message_id(), int(now * 1000), kind, data, now + delay))
        validation.batch_sizes(len(items), largest, total)
        backlog = await self._append("sendBatch", stored)
        self._notify(self.queue_name)
        return _send_response(backlog)

    send_batch = sendBatch

    async def _append(self, method: str, messages: list[NewMessage]) -> Backlog:
        """Store the messages (all or none) before the send returns. A failing disk is the queue's own
        failure as workerd reports it, with the storage's text: ``Queue send failed: Internal Server Error
        (database or disk is full: SQLITE_FULL)``."""
        try:
            return await self._store.append(self.queue_name, messages)
        except StorageError as exc:
            raise QueueSendError(f"Queue {method} failed: Internal Server Error ({exc})") from exc

    def __repr__(self) -> str:
        return f"<Queue {self.queue_name!r}>"
