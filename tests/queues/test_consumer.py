"""Consumer: batching by size and timeout, ack/retry rules, delays, retries, dead letters, concurrency."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from queue_worker import consumer_block, worker_module

from pyflare.config import ConfigError
from pyflare.testing.queues import dead_letters, drain, messages


def seen(mf):
    return worker_module(mf).SEEN


def batches(mf):
    return worker_module(mf).BATCHES


# -- batching --------------------------------------------------------------------------------------
async def test_full_batches_are_delivered_at_once(start_queues):
    mf = await start_queues(consumer=consumer_block())
    await mf.env.Q.sendBatch([{"body": i} for i in range(25)])
    await mf.idle()
    assert [len(ids) for _, ids in batches(mf)] == [10, 10]


async def test_partial_batch_waits_for_the_batch_timeout(start_queues):
    mf = await start_queues(consumer=consumer_block())
    await mf.env.Q.sendBatch([{"body": i} for i in range(3)])
    mf.clock.advance(4.9)
    await mf.idle()
    assert batches(mf) == []
    mf.clock.advance(0.1)
    await mf.idle()
    assert [len(ids) for _, ids in batches(mf)] == [3]


async def test_max_batch_size_is_honoured(start_queues):
    mf = await start_queues(consumer=consumer_block(max_batch_size=3))
    await mf.env.Q.sendBatch([{"body": i} for i in range(7)])
    await mf.idle()
    mf.clock.advance(5)
    await mf.idle()
    assert [len(ids) for _, ids in batches(mf)] == [3, 3, 1]


async def test_max_batch_timeout_is_honoured(start_queues):
    mf = await start_queues(consumer=consumer_block(max_batch_timeout=1))
    await mf.env.Q.send("x")
    mf.clock.advance(1)
    await mf.idle()
    assert len(batches(mf)) == 1


async def test_drain_delivers_partial_batches_without_moving_the_clock(start_queues):
    mf = await start_queues(consumer=consumer_block())
    before = mf.clock.time()
    await mf.env.Q.send("x")
    await drain(mf)
    assert [s["body"] for s in seen(mf)] == ["x"]
    assert mf.clock.time() == before
    assert messages(mf, "jobs") == []


async def test_batch_carries_queue_name_and_message_fields(start_queues):
    mf = await start_queues(consumer=consumer_block())
    await mf.env.Q.send({"k": "v"})
    sent_at = mf.clock.time()
    await drain(mf)
    [message] = seen(mf)
    assert message["queue"] == "jobs"
    assert re.fullmatch(r"[0-9a-f]{32}", message["id"])
    assert message["attempts"] == 1
    assert message["body"] == {"k": "v"} and message["body"].k == "v"
    # a JavaScript Date reaches a Python worker as a naive datetime in UTC
    assert isinstance(message["timestamp"], dt.datetime) and message["timestamp"].tzinfo is None
    stamp = message["timestamp"].replace(tzinfo=dt.timezone.utc).timestamp()
    assert stamp == pytest.approx(sent_at, abs=0.001)


@pytest.mark.parametrize(("body", "content_type"), [("text", "text"), (b"\x00\x01", "bytes"),
                                                    ({"j": [1]}, "json"), ({"v8": {1}}, "v8")])
async def test_every_content_type_reaches_the_consumer(start_queues, body, content_type):
    mf = await start_queues(consumer=consumer_block())
    await mf.env.Q.send(body, contentType=content_type)
    await drain(mf)
    assert seen(mf)[0]["body"] == body


async def test_acked_messages_are_deleted(start_queues):
    mf = await start_queues(consumer=consumer_block())
    await mf.env.Q.send({"calls": ["ack"]})
    await mf.env.Q.send("implicitly acked")
    await drain(mf)
    assert messages(mf, "jobs") == []


# -- retries ---------------------------------------------------------------------------------------
async def test_exception_retries_the_whole_batch(start_queues):
    mf = await start_queues(consumer=consumer_block(max_retries=1, max_batch_timeout=0))
    await mf.env.Q.sendBatch([{"body": {"calls": ["raise"]}}, {"body": "other"}])
    await drain(mf)
    assert [(s["body"] if isinstance(s["body"], str) else "raiser", s["attempts"]) for s in seen(mf)] == [
        ("raiser", 1), ("other", 1), ("raiser", 2), ("other", 2)]


async def test_exception_does_not_retry_explicitly_acked_messages(start_queues):
    mf = await start_queues(consumer=consumer_block())
    await mf.env.Q.sendBatch([{"body": {"calls": ["ack"]}}, {"body": {"calls": ["raise"]}}])
    await drain(mf)
    first_ids = batches(mf)[0][1]
    retried = [ids for _, ids in batches(mf)[1:]]
    assert all(first_ids[0] not in ids for ids in retried)
    assert all(first_ids[1] in ids for ids in retried)


async def test_retry_all_retries_every_message_not_acked(start_queues):
    mf = await start_queues(consumer=consumer_block(max_retries=1))
    await mf.env.Q.sendBatch([{"body": {"calls": ["ack"]}}, {"body": {"calls": ["retryAll"]}}, {"body": "c"}])
    await drain(mf)
    assert [ids for _, ids in batches(mf)][1] == batches(mf)[0][1][1:]


async def test_message_retried_after_max_retries_goes_to_the_dead_letter_queue_with_its_id(start_queues):
    mf = await start_queues(consumer=consumer_block(max_retries=2, dead_letter_queue="dlq"))
    await mf.env.Q.send({"calls": ["retry"]})
    await drain(mf)
    assert [s["attempts"] for s in seen(mf)] == [1, 2, 3]
    [dead] = dead_letters(mf, "dlq")
    assert dead.id == seen(mf)[0]["id"]
    assert dead.body == {"calls": ["retry"]}
    assert messages(mf, "jobs") == []


async def test_default_max_retries_is_3(start_queues):
    mf = await start_queues(consumer=consumer_block(dead_letter_queue="dlq"))
    await mf.env.Q.send({"calls": ["raise"]})
    await drain(mf)
    assert [s["attempts"] for s in seen(mf)] == [1, 2, 3, 4]
    assert len(dead_letters(mf, "dlq")) == 1


async def test_exhausted_message_without_dead_letter_queue_is_dropped_with_a_warning(start_queues, pyflare_log):
    mf = await start_queues(consumer=consumer_block(max_retries=0))
    await mf.env.Q.send({"calls": ["retry"]})
    await drain(mf)
    assert messages(mf, "jobs") == []
    assert re.search(r'Dropped message "[0-9a-f]{32}" on queue "jobs" after 1 failed attempt!', pyflare_log.text)


async def test_dead_letter_warning_follows_the_batch_line_that_caused_it(start_queues, pyflare_log):
    mf = await start_queues(consumer=consumer_block(max_retries=0, dead_letter_queue="dlq"))
    await mf.env.Q.send({"calls": ["retry"]})
    await drain(mf)
    lines = pyflare_log.lines
    batch = next(i for i, line in enumerate(lines) if line.startswith("QUEUE jobs 0/1"))
    moved = next(i for i, line in enumerate(lines) if line.startswith("Moving message"))
    assert batch < moved
    assert 'to dead letter queue "dlq" after 1 failed attempt...' in lines[moved]


async def test_dead_letter_queue_consumed_by_the_same_worker_gets_the_message(start_queues):
    mf = await start_queues(consumer=consumer_block(max_retries=0, dead_letter_queue="dlq") + consumer_block("dlq", max_retries=0))
    await mf.env.Q.send({"calls": ["retry"]})
    await drain(mf)
    assert [(s["queue"], s["attempts"]) for s in seen(mf)] == [("jobs", 1), ("dlq", 1)]
    assert seen(mf)[0]["id"] == seen(mf)[1]["id"]


async def test_queue_cannot_be_its_own_dead_letter_queue(start_queues):
    with pytest.raises(ConfigError, match="cannot be its own dead letter queue"):
        await start_queues(consumer=consumer_block(dead_letter_queue="jobs"))


# -- first call wins ---------------------------------------------------------------------------------
async def test_retry_after_ack_has_no_effect(start_queues, pyflare_log):
    mf = await start_queues(consumer=consumer_block())
    await mf.env.Q.send({"calls": ["ack", "retry"]})
    await drain(mf)
    assert len(seen(mf)) == 1
    assert "after ack() was already called" in pyflare_log.text


async def test_ack_after_retry_has_no_effect(start_queues):
    mf = await start_queues(consumer=consumer_block(max_retries=1))
    await mf.env.Q.send({"calls": ["retry", "ack"]})
    await drain(mf)
    assert [s["attempts"] for s in seen(mf)] == [1, 2]


async def test_ack_after_retry_all_has_no_effect(start_queues):
    mf = await start_queues(consumer=consumer_block(max_retries=1))
    await mf.env.Q.send({"calls": ["retryAll", "ack"]})
    await drain(mf)
    assert len(seen(mf)) == 2


async def test_retry_all_after_ack_all_has_no_effect(start_queues, pyflare_log):
    mf = await start_queues(consumer=consumer_block())
    await mf.env.Q.send({"calls": ["ackAll", "retryAll"]})
    await drain(mf)
    assert len(seen(mf)) == 1
    assert "Calling retryAll() after calling ackAll() has no effect." in pyflare_log.text


async def test_ack_all_counts_as_explicit_ack_when_the_handler_raises(start_queues):
    mf = await start_queues(consumer=consumer_block())
    await mf.env.Q.send({"calls": ["ackAll", "raise"]})
    await drain(mf)
    assert len(seen(mf)) == 1


async def test_explicit_retry_survives_ack_all(start_queues):
    mf = await start_queues(consumer=consumer_block(max_retries=1))
    await mf.env.Q.send({"calls": ["retry", "ackAll"]})
    await drain(mf)
    assert len(seen(mf)) == 2


# -- delays --------------------------------------------------------------------------------------
async def test_send_delay_holds_the_message_back(start_queues):
    mf = await start_queues(consumer=consumer_block(max_batch_timeout=0))
    await mf.env.Q.send("later", delaySeconds=60)
    await drain(mf)
    assert seen(mf) == []
    mf.clock.advance(60)
    await mf.idle()
    assert [s["body"] for s in seen(mf)] == ["later"]


async def test_batch_window_starts_when_a_delayed_message_becomes_available(start_queues):
    mf = await start_queues(consumer=consumer_block(max_batch_timeout=5))
    await mf.env.Q.send("later", delaySeconds=60)
    mf.clock.advance(64)
    await mf.idle()
    assert seen(mf) == []
    mf.clock.advance(1)
    await mf.idle()
    assert len(seen(mf)) == 1


async def test_one_big_clock_jump_delivers_a_delayed_message(start_queues):
    mf = await start_queues(consumer=consumer_block())
    await mf.env.Q.send("later", delaySeconds=60)
    mf.clock.advance(hours=1)
    await mf.idle()
    assert len(seen(mf)) == 1


async def test_message_delay_beats_batch_delay_beats_producer_delivery_delay(start_queues):
    mf = await start_queues(producers="delivery_delay = 30", consumer=consumer_block())
    now = mf.clock.time()
    await mf.env.Q.send("producer default")
    await mf.env.Q.sendBatch([{"body": "batch"}, {"body": "own", "delaySeconds": 5}], delaySeconds=10)
    available = {m.body: m.availableAt - now for m in messages(mf, "jobs")}
    assert available == pytest.approx({"producer default": 30, "batch": 10, "own": 5})


@pytest.mark.parametrize(("calls", "body_extra", "retry_delay", "expected"), [
    (["retry"], {"delay": 7, "batch_delay": 11}, 13, 7),   # message delay wins
    (["retryAll"], {"batch_delay": 11}, 13, 11),          # then the batch's
    (["retry", "retryAll"], {"batch_delay": 11}, 13, 11),  # a retry without delay takes the batch's
    (["retry"], {}, 13, 13),                              # then the consumer's retry_delay
    (["raise"], {}, 13, 13),                              # exceptions use retry_delay
    (["retry"], {}, 0, 0),                                # else none
])
async def test_retry_delay_precedence(start_queues, calls, body_extra, retry_delay, expected):
    mf = await start_queues(consumer=consumer_block(retry_delay=retry_delay, max_batch_timeout=0))
    await mf.env.Q.send({"calls": calls, **body_extra})
    await drain(mf)
    if expected:
        [waiting] = messages(mf, "jobs")
        assert waiting.availableAt - mf.clock.time() == pytest.approx(expected)
        mf.clock.advance(expected - 0.5)
        await mf.idle()
        assert len(seen(mf)) == 1
        mf.clock.advance(0.5)
        await mf.idle()
    assert [s["attempts"] for s in seen(mf)][:2] == [1, 2]


async def test_retry_with_an_invalid_delay_raises_in_the_handler(start_queues):
    mf = await start_queues(consumer=consumer_block(max_retries=0))
    await mf.env.Q.send({"calls": ["retry"], "delay": 50_000})
    await drain(mf)
    assert len(seen(mf)) == 1  # the handler raised: retried, then dropped (max_retries = 0)


# -- concurrency ---------------------------------------------------------------------------------------
CONCURRENT = '''
import asyncio
from workers import WorkerEntrypoint
ACTIVE = [0]
PEAK = [0]
RELEASE = asyncio.Event()
BATCHES = []

class Default(WorkerEntrypoint):
    async def queue(self, batch, env, ctx):
        ACTIVE[0] += 1
        PEAK[0] = max(PEAK[0], ACTIVE[0])
        BATCHES.append(len(batch.messages))
        await RELEASE.wait()
        ACTIVE[0] -= 1
'''


@pytest.mark.parametrize(("setting", "peak"), [("", 1), ("max_concurrency = 3", 3)])
async def test_max_concurrency_limits_batches_in_flight(start_queues, setting, peak):
    consumer = consumer_block(max_batch_size=2) + setting + "\n"
    mf = await start_queues(consumer=consumer, source=CONCURRENT)
    module = worker_module(mf)
    await mf.env.Q.sendBatch([{"body": i} for i in range(10)])
    for _ in range(5):
        await mf.clock.sleep(0)
    assert module.ACTIVE[0] == peak
    module.RELEASE.set()
    await mf.idle()
    assert module.PEAK[0] == peak and module.BATCHES == [2] * 5
    assert messages(mf, "jobs") == []


async def test_leased_messages_are_not_delivered_twice_at_once(start_queues):
    mf = await start_queues(consumer=consumer_block(max_batch_size=2) + "max_concurrency = 2\n", source=CONCURRENT)
    module = worker_module(mf)
    await mf.env.Q.sendBatch([{"body": i} for i in range(4)])
    await mf.clock.sleep(0)
    await mf.env.Q.send("late")
    await mf.clock.sleep(0)
    assert module.BATCHES == [2, 2]
    module.RELEASE.set()
    await drain(mf)
    assert module.BATCHES == [2, 2, 1]


async def test_http_pull_consumers_are_not_pushed_to(start_queues):
    mf = await start_queues(consumer=consumer_block(type="http_pull"))
    await mf.env.Q.send("x")
    mf.clock.advance(60)
    await mf.idle()
    assert seen(mf) == [] and len(messages(mf, "jobs")) == 1
