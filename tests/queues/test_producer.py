"""Producer binding: content types, limits and Cloudflare's error texts, storage before send returns."""

from __future__ import annotations

import datetime as dt

import pytest
from queue_worker import consumer_block

from pyflare.bindings.queues import DataCloneError, QueueSendError
from pyflare.testing.queues import messages


async def test_send_stores_the_message_before_returning(start_queues):
    mf = await start_queues()
    await mf.env.Q.send({"a": 1})
    [stored] = messages(mf, "jobs")
    assert stored.body == {"a": 1}
    assert stored.contentType == "json"
    assert len(stored.id) == 32 and int(stored.id, 16) >= 0


async def test_default_content_type_is_json_from_2024_03_18(start_queues):
    mf = await start_queues(compat="2024-03-18")
    await mf.env.Q.send([1, 2])
    assert messages(mf, "jobs")[0].contentType == "json"


async def test_default_content_type_is_v8_before_2024_03_18(start_queues):
    mf = await start_queues(compat="2024-03-17")
    await mf.env.Q.send({1, 2})
    assert messages(mf, "jobs")[0].contentType == "v8"
    assert messages(mf, "jobs")[0].body == {1, 2}


async def test_content_type_is_case_insensitive(start_queues):
    mf = await start_queues()
    await mf.env.Q.send("hi", contentType="TEXT")
    assert messages(mf, "jobs")[0].contentType == "text"


async def test_unsupported_content_type_is_a_type_error(start_queues):
    mf = await start_queues()
    with pytest.raises(TypeError, match="^Unsupported queue message content type: xml$"):
        await mf.env.Q.send("x", contentType="xml")


async def test_text_requires_a_string(start_queues):
    mf = await start_queues()
    with pytest.raises(TypeError, match='^Content Type "text" requires a value of type string, but received: number$'):
        await mf.env.Q.send(5, contentType="text")


async def test_bytes_requires_bytes(start_queues):
    mf = await start_queues()
    with pytest.raises(TypeError, match='^Content Type "bytes" requires a value of type ArrayBufferView, but '
                                        "received: string$"):
        await mf.env.Q.send("x", contentType="bytes")


async def test_none_body_is_javascripts_null_and_a_missing_body_is_undefined(start_queues):
    mf = await start_queues()
    await mf.env.Q.send(None)  # None is JavaScript's null (python_to_rpc): a JSON body like any other
    assert messages(mf, "jobs")[0].body is None
    with pytest.raises(TypeError, match="^Message body cannot be undefined$"):
        await mf.env.Q.sendBatch([{"contentType": "json"}])


async def test_send_reports_the_backlog_the_message_joined(start_queues):
    mf = await start_queues()
    first = await mf.env.Q.send("a", contentType="text")
    assert first.metadata.metrics == {"backlogCount": 0, "backlogBytes": 0}
    second = await mf.env.Q.send("bc", contentType="text")
    assert second.metadata.metrics.backlogCount == 1 and second.metadata.metrics.backlogBytes == 1
    assert second.metadata.metrics.oldestMessageTimestamp.tzinfo is None  # a Date: naive, UTC


async def test_json_writes_values_as_json_stringify_writes_what_they_become_in_javascript(start_queues):
    mf = await start_queues()
    # a datetime is a Date (its ISO text), bytes a Uint8Array (an object of indexes), 1.0 the number 1
    await mf.env.Q.send({"when": dt.datetime(2024, 1, 1), "b": b"\x01", "f": 1.0}, contentType="json")
    assert messages(mf, "jobs")[0].body == {"when": "2024-01-01T00:00:00.000Z", "b": {"0": 1}, "f": 1}


async def test_json_refuses_an_int_beyond_2_53_as_json_stringify_refuses_a_bigint(start_queues):
    mf = await start_queues()
    with pytest.raises(TypeError, match="^Do not know how to serialize a BigInt$"):
        await mf.env.Q.send({"n": 2**60}, contentType="json")


async def test_v8_copies_structured_clone_types(start_queues):
    mf = await start_queues()
    when = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
    body = {"set": {1, 2}, "tuple": (1, 2), "bytes": bytearray(b"ab"), "when": when, 3: "int key",
            "nested": [{"x": frozenset({"a"})}]}
    await mf.env.Q.send(body, contentType="v8")
    stored = messages(mf, "jobs")[0].body
    # received as a Python worker receives a JavaScript value: bytes as memoryview, a Date naive UTC
    assert stored == {"set": {1, 2}, "tuple": [1, 2], "bytes": b"ab", "when": when.replace(tzinfo=None),
                      3: "int key", "nested": [{"x": {"a"}}]}


async def test_v8_keeps_cycles(start_queues):
    mf = await start_queues()
    loop: list = [1]
    loop.append(loop)
    await mf.env.Q.send(loop, contentType="v8")
    stored = messages(mf, "jobs")[0].body
    assert stored[1] is stored


async def test_v8_refuses_objects_it_cannot_clone(start_queues):
    mf = await start_queues()

    class Thing:
        pass

    with pytest.raises(DataCloneError, match="could not be cloned"):
        await mf.env.Q.send({"x": Thing()}, contentType="v8")
    with pytest.raises(DataCloneError):
        await mf.env.Q.send(len, contentType="v8")
    assert messages(mf, "jobs") == []


async def test_message_of_128000_bytes_is_accepted(start_queues):
    mf = await start_queues()
    await mf.env.Q.send("x" * 128_000, contentType="text")
    assert len(messages(mf, "jobs")) == 1


async def test_message_over_128000_bytes_is_refused(start_queues):
    mf = await start_queues()
    with pytest.raises(QueueSendError, match="^Queue send failed: message length of 128001 bytes exceeds limit of "
                                             "128000$"):
        await mf.env.Q.send("x" * 128_001, contentType="text")


async def test_json_size_counts_compact_utf8(start_queues):
    mf = await start_queues()
    with pytest.raises(QueueSendError, match="length of 128003 bytes"):
        await mf.env.Q.send("é" * 64_000 + "a")  # json: quotes + 2 bytes per é + 1


async def test_send_batch_needs_a_message(start_queues):
    mf = await start_queues()
    with pytest.raises(TypeError, match=r"^sendBatch\(\) requires at least one message$"):
        await mf.env.Q.sendBatch([])


async def test_send_batch_of_100_is_accepted(start_queues):
    mf = await start_queues()
    await mf.env.Q.sendBatch([{"body": i} for i in range(100)])
    assert [m.body for m in messages(mf, "jobs")] == list(range(100))


async def test_send_batch_over_100_messages_is_refused(start_queues):
    mf = await start_queues()
    with pytest.raises(QueueSendError, match="^Queue sendBatch failed: batch message count of 101 exceeds limit "
                                             "of 100$"):
        await mf.env.Q.sendBatch([{"body": i} for i in range(101)])


async def test_send_batch_over_256000_bytes_is_refused(start_queues):
    mf = await start_queues()
    batch = [{"body": "x" * 100_000, "contentType": "text"}] * 3
    with pytest.raises(QueueSendError, match="^Queue sendBatch failed: batch size of 300000 bytes exceeds limit "
                                             "of 256000$"):
        await mf.env.Q.sendBatch(batch)
    assert messages(mf, "jobs") == []


async def test_send_batch_with_an_oversized_message_is_refused(start_queues):
    mf = await start_queues()
    with pytest.raises(QueueSendError, match="^Queue sendBatch failed: message in batch has length 128001 bytes "
                                             "which exceeds single message size limit of 128000$"):
        await mf.env.Q.sendBatch([{"body": "x" * 128_001, "contentType": "text"}])


async def test_send_batch_is_all_or_nothing(start_queues):
    mf = await start_queues()
    with pytest.raises(TypeError):
        await mf.env.Q.sendBatch([{"body": "ok"}, {"body": 1, "contentType": "text"}])
    assert messages(mf, "jobs") == []


@pytest.mark.parametrize("delay", [-1, 43_201, "43201"])
async def test_invalid_delay_is_refused(start_queues, delay):
    mf = await start_queues()
    with pytest.raises(QueueSendError, match=f"^Queue send failed: message delay {delay} is invalid$"):
        await mf.env.Q.send("x", delaySeconds=delay)


@pytest.mark.parametrize(("delay", "seconds"), [(1.5, 1), (float("nan"), 0), (float("inf"), 0)])
async def test_delay_is_converted_as_workerd_converts_an_int(start_queues, delay, seconds):
    # SendOptions.delaySeconds is a C++ int: JSG truncates fractions and turns NaN and infinities into 0.
    mf = await start_queues()
    await mf.env.Q.send("x", delaySeconds=delay)
    assert messages(mf, "jobs")[0].availableAt == pytest.approx(mf.clock.time() + seconds)


async def test_delay_beyond_32_bits_is_a_type_error(start_queues):
    mf = await start_queues()
    with pytest.raises(TypeError, match=r"^Value out of range\. Must be between -2147483648 and 2147483647"):
        await mf.env.Q.send("x", delaySeconds=2**40)
    assert messages(mf, "jobs") == []


async def test_options_that_are_not_a_dict_are_a_type_error(start_queues):
    mf = await start_queues()
    with pytest.raises(TypeError, match="parameter 2 is not of type 'QueueSendOptions'"):
        await mf.env.Q.send("x", "text")


async def test_delay_of_12_hours_is_accepted(start_queues):
    mf = await start_queues()
    await mf.env.Q.send("x", delaySeconds=43_200)
    assert messages(mf, "jobs")[0].availableAt == pytest.approx(mf.clock.time() + 43_200)


async def test_options_dict_is_accepted_like_a_js_options_object(start_queues):
    mf = await start_queues()
    await mf.env.Q.send("x", {"contentType": "text", "delaySeconds": 10})
    [stored] = messages(mf, "jobs")
    assert stored.contentType == "text" and stored.availableAt == pytest.approx(mf.clock.time() + 10)


async def test_messages_wait_on_a_queue_without_consumer(start_queues):
    mf = await start_queues()
    await mf.env.Q.send("a")
    mf.clock.advance(hours=1)
    await mf.idle()
    assert [m.body for m in messages(mf, "jobs")] == ["a"]


async def test_send_from_a_fetch_handler(start_queues):
    mf = await start_queues(consumer=consumer_block(max_batch_timeout=1))
    response = await mf.dispatch_fetch("/", method="POST", json={"hello": "world"})
    assert response.text == "sent"
    assert messages(mf, "jobs")[0].body == {"hello": "world"}
