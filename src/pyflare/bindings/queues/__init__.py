"""Queues: producer bindings (``send``, ``sendBatch``) and consumers that deliver batches to ``queue()``.

Messages are stored in SQLite (``<state>/queues/queues.sqlite``) before ``send`` returns, leased while a
batch is in flight, and delivered at least once even across a crash. Module map: ``constants`` (limits and
defaults), ``validation`` (input checks and error texts), ``serialization`` (content types), ``store`` (the
table), ``producer`` (the binding), ``batch`` (what the handler gets), ``consumer`` (batching, retries,
dead letters), ``plugin`` (wiring and the testing hooks).
"""

from __future__ import annotations

from pyflare.bindings.queues.batch import Message, MessageBatch
from pyflare.bindings.queues.errors import DataCloneError, QueueSendError
from pyflare.bindings.queues.plugin import QueuesPlugin
from pyflare.bindings.queues.producer import Queue
from pyflare.runtime.plugin import Platform


def create(platform: Platform) -> QueuesPlugin | None:
    queues = platform.config.worker.queues
    if not queues.producers and not queues.consumers:
        return None
    return QueuesPlugin(platform)


__all__ = ["DataCloneError", "Message", "MessageBatch", "Queue", "QueueSendError", "QueuesPlugin", "create"]
