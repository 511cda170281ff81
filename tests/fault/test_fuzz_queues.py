"""Hypothesis over every Queues producer method: only the documented errors, and every message sent
can be decoded again by a consumer."""

from __future__ import annotations

from typing import Any

import pytest
from fuzzing import any_text, anything, edge_numbers, maybe
from hypothesis import given
from hypothesis import strategies as st

from pyflare.bindings.queues import serialization
from pyflare.bindings.queues.errors import DataCloneError, QueueSendError
from pyflare.bindings.queues.validation import RangeError as QueueRangeError
from pyflare.kernel.jserrors import RangeError

CONFIG = """
name = "fuzz-queues"
main = "src/entry.py"
compatibility_date = "2025-11-01"

[[queues.producers]]
binding = "QUEUE"
queue = "fuzz"
"""

DOCUMENTED = (QueueSendError, DataCloneError, TypeError, RangeError, QueueRangeError)
content_types = st.one_of(st.sampled_from(["text", "json", "bytes", "v8", "JSON"]), anything)


@pytest.fixture
def queue(driver: Any) -> Any:
    d = driver(CONFIG)
    return d, d.mf.env.QUEUE


def call(d: Any, coro: Any) -> Any:
    try:
        return d.run(coro)
    except DOCUMENTED:
        return None


def stored_messages_decode(d: Any) -> None:
    from pyflare.bindings.queues.plugin import QueuesPlugin

    plugin = d.mf.plugin(QueuesPlugin)
    for row in plugin.store.messages("fuzz"):
        serialization.decode(row.body, row.content_type)
    plugin.store.db.execute("DELETE FROM messages")


def test_send(queue: Any) -> None:
    d, binding = queue

    @given(anything, maybe(content_types), maybe(edge_numbers), st.one_of(st.none(), anything))
    def check(body: Any, content_type: Any, delay: Any, options: Any) -> None:
        call(d, binding.send(body, contentType=content_type, delaySeconds=delay))
        call(d, binding.send(body, options))
        stored_messages_decode(d)

    check()


def test_send_batch(queue: Any) -> None:
    d, binding = queue
    item = st.one_of(
        st.fixed_dictionaries({"body": anything}, optional={"contentType": content_types, "delaySeconds": edge_numbers}),
        anything,
    )

    @given(st.one_of(st.lists(item, max_size=4), anything), maybe(edge_numbers), anything)
    def check(messages: Any, delay: Any, options: Any) -> None:
        call(d, binding.sendBatch(messages, delaySeconds=delay))
        call(d, binding.sendBatch(messages, options))
        stored_messages_decode(d)

    check()


def test_text_bodies(queue: Any) -> None:
    d, binding = queue

    @given(any_text)
    def check(text: str) -> None:
        call(d, binding.send(text, contentType="text"))
        call(d, binding.send(text, contentType="json"))
        stored_messages_decode(d)

    check()
