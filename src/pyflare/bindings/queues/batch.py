"""What a consumer's ``queue(self, batch, env, ctx)`` handler receives, and how its calls are recorded.

The rules are workerd's (src/workerd/api/queue.c++), where the first decision about a message wins:

- ``message.ack()`` after ``message.retry()`` or ``batch.retryAll()`` has no effect (a warning is logged);
- ``message.retry()`` after ``message.ack()`` or ``batch.ackAll()`` has no effect (warning);
- ``batch.ackAll()`` after ``retryAll()`` and ``retryAll()`` after ``ackAll()`` have no effect (warning);
- ``message.retry()`` after ``retryAll()`` is recorded, so its own ``delaySeconds`` wins.

After the handler, a message is retried if it was retried explicitly, or if the batch is retried
(``retryAll()`` or the handler raised) and the message was not acked explicitly (``ack()`` or
``ackAll()``). Everything else is acknowledged.
"""

from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import dataclass, field
from typing import Any

from pyflare.bindings.queues import validation

log = logging.getLogger("pyflare")


def _ignored(call: str, earlier: str, message_id: str | None = None) -> None:
    """workerd's warning for an ack/retry call that an earlier call already decided (first call wins)."""
    on = f" on message {message_id}" if message_id is not None else ""
    on_a = " on a message" if message_id is not None else ""
    log.warning(f"Received a call to {call}(){on} after {earlier}() was already called. "
                f"Calling {call}(){on_a} after calling {earlier}() has no effect.")


@dataclass
class BatchOutcome:
    """What the handler decided about a batch (filled in by the calls below)."""

    ack_all: bool = False
    retry_all: bool = False
    retry_all_delay: int | None = None
    acks: set[str] = field(default_factory=set)
    retries: dict[str, int | None] = field(default_factory=dict)  # id -> delaySeconds (None: not given)


class Message:
    """One message of a batch: ``id``, ``timestamp`` (a naive ``datetime`` in UTC, as Python gets a JavaScript
    Date on Cloudflare), ``body``, ``attempts``."""

    __slots__ = ("id", "timestamp", "body", "attempts", "_outcome")

    def __init__(self, id: str, timestamp: _dt.datetime, body: Any, attempts: int, outcome: BatchOutcome) -> None:
        self.id = id
        self.timestamp = timestamp
        self.body = body
        self.attempts = attempts
        self._outcome = outcome

    def ack(self) -> None:
        """Mark this message delivered: it will not be retried, even if the handler then raises."""
        outcome = self._outcome
        if outcome.ack_all:
            return
        if outcome.retry_all:
            _ignored("ack", "retryAll", self.id)
            return
        if self.id in outcome.retries:
            _ignored("ack", "retry", self.id)
            return
        outcome.acks.add(self.id)

    def retry(self, options: dict[str, Any] | None = None, *, delaySeconds: int | None = None) -> None:  # noqa: N803
        """Deliver this message again later (after ``delaySeconds``, else the batch's or the queue's delay)."""
        if options and delaySeconds is None:
            delaySeconds = options.get("delaySeconds")
        delay = validation.retry_delay(delaySeconds)
        outcome = self._outcome
        if outcome.ack_all:
            _ignored("retry", "ackAll", self.id)
            return
        if self.id in outcome.acks:
            _ignored("retry", "ack", self.id)
            return
        if delay is not None or self.id not in outcome.retries:
            outcome.retries[self.id] = delay

    def __repr__(self) -> str:
        return f"<Message id={self.id} attempts={self.attempts} body={self.body!r}>"


class MessageBatch:
    """``batch.queue`` (the queue's name), ``batch.messages``, ``ackAll()``, ``retryAll(delaySeconds=)``."""

    def __init__(self, queue: str, messages: list[Message], outcome: BatchOutcome) -> None:
        self.queue = queue
        self.messages = messages
        self._outcome = outcome

    def ackAll(self) -> None:  # noqa: N802 - Cloudflare's name
        """Acknowledge every message not already retried explicitly."""
        if self._outcome.retry_all:
            _ignored("ackAll", "retryAll")
            return
        self._outcome.ack_all = True

    def retryAll(self, options: dict[str, Any] | None = None, *, delaySeconds: int | None = None) -> None:  # noqa: N802,N803
        """Retry every message not already acked explicitly."""
        if options and delaySeconds is None:
            delaySeconds = options.get("delaySeconds")
        delay = validation.retry_delay(delaySeconds)
        if self._outcome.ack_all:
            _ignored("retryAll", "ackAll")
            return
        self._outcome.retry_all = True
        if delay is not None:
            self._outcome.retry_all_delay = delay

    ack_all = ackAll
    retry_all = retryAll

    def __len__(self) -> int:
        return len(self.messages)

    def __repr__(self) -> str:
        return f"<MessageBatch queue={self.queue!r} messages={len(self.messages)}>"


def decide(outcome: BatchOutcome, ids: list[str], failed: bool) -> dict[str, tuple[bool, int | None]]:
    """Per message id: (retry?, explicit delay or None). ``failed``: the handler raised."""
    retry_batch = outcome.retry_all or failed
    explicit_acks = outcome.acks if not outcome.ack_all else set(ids) - set(outcome.retries)
    result: dict[str, tuple[bool, int | None]] = {}
    for message_id in ids:
        if message_id in outcome.retries:
            result[message_id] = (True, outcome.retries[message_id])
        elif retry_batch and message_id not in explicit_acks:
            result[message_id] = (True, None)
        else:
            result[message_id] = (False, None)
    return result
