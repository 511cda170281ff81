"""Queues: what producers may send (types, sizes, delays, batch limits), and what a consumer observes
(batching, explicit acks and retries, retryAll/ackAll, a throwing handler, the dead letter queue).

The consumer of queue ``work`` (batches of 3, no batch timeout, 2 retries, dead letter queue ``dlq``)
follows each message's ``plan``: what to do on its first, second... delivery (see worker.mjs).
"""

from __future__ import annotations

from conformance.ops import call, observe, repeat, sequence, settle


def msg(seq: str, n: int, *plan: str) -> dict:
    return {"seq": seq, "n": n, "plan": list(plan)}


def sequences() -> list[dict]:
    s = []

    def add(name, ops):
        s.append(sequence(f"queues-{name}", "queues", ops))

    add("send-types", [
        call("QUEUE", "send", "text"), call("QUEUE", "send", "text", contentType="text"),
        call("QUEUE", "send", {"a": 1}, contentType="json"), call("QUEUE", "send", b"\x00", contentType="bytes"),
        call("QUEUE", "send", 5, contentType="text"), call("QUEUE", "send", "x", contentType="bogus"),
        call("QUEUE", "send", {"a": 1}, contentType="text"), call("QUEUE", "send", "x", contentType="v8"),
        call("QUEUE", "send", None), call("QUEUE", "send", {1, 2}), call("QUEUE", "send", [1, 2.5, None]),
        call("QUEUE", "send", "x", contentType="bytes"), call("QUEUE", "send", float("nan"), contentType="json"),
        settle(),
    ])
    add("send-limits", [
        call("QUEUE", "send", repeat("x", 128_000), contentType="text"),
        call("QUEUE", "send", repeat("x", 128_001), contentType="text"),
        call("QUEUE", "send", "x", delaySeconds=43_200), call("QUEUE", "send", "x", delaySeconds=43_201),
        call("QUEUE", "send", "x", delaySeconds=-1), call("QUEUE", "send", "x", delaySeconds="5"),
        call("QUEUE", "send", "x", delaySeconds=1.5),
        call("QUEUE", "sendBatch", [{"body": i} for i in range(100)], delaySeconds=43_200),
        call("QUEUE", "sendBatch", [{"body": i} for i in range(101)]), call("QUEUE", "sendBatch", []),
        call("QUEUE", "sendBatch", [{"body": repeat("x", 128_001), "contentType": "text"}]),
        call("QUEUE", "sendBatch", [{"body": repeat("x", 100_000), "contentType": "text"}] * 3),
        call("QUEUE", "sendBatch", [{"nobody": 1}]), call("QUEUE", "sendBatch", ["x"]),
        call("QUEUE", "sendBatch", [{"body": "x", "delaySeconds": 43_201}]),
        call("QUEUE", "sendBatch", [{"body": "x", "contentType": "bogus"}]),
    ])
    seq = "queues-batching"
    add("batching", [
        call("BATCHED", "sendBatch", [{"body": msg(seq, i, "ack")} for i in range(7)]), settle(wait_seconds=1.2),
        observe(seq, batches=True),
    ])
    seq = "queues-retries"
    add("retries", [
        call("QUEUE", "sendBatch", [{"body": msg(seq, 0, "retry", "ack")}, {"body": msg(seq, 1, "ack")},
                                    {"body": msg(seq, 2, "retry", "retry", "ack")}]),
        settle(), observe(seq),
    ])
    seq = "queues-dlq"
    add("dlq", [
        call("QUEUE", "send", msg(seq, 0, "retry")), call("QUEUE", "send", msg(seq, 1, "none")), settle(), observe(seq),
    ])
    seq = "queues-throw"
    add("throw", [
        call("QUEUE", "sendBatch", [{"body": msg(seq, 0, "ack")}, {"body": msg(seq, 1, "throw", "none")},
                                    {"body": msg(seq, 2, "none")}]),
        settle(), observe(seq),
    ])
    seq = "queues-batch-actions"
    add("batch-actions", [
        call("QUEUE", "sendBatch", [{"body": msg(seq, 0, "retryAll", "ackAll")}, {"body": msg(seq, 1, "ack")},
                                    {"body": msg(seq, 2, "retry")}]),
        settle(), observe(seq),
    ])
    seq = "queues-retry-delay"
    add("retry-delay", [
        call("QUEUE", "send", msg(seq, 0, "retry:1", "ack")), settle(wait_seconds=1.3), observe(seq),
    ])
    seq = "queues-first-call-wins"
    add("first-call-wins", [
        call("QUEUE", "send", msg(seq, 0, "ack", "retry")), call("QUEUE", "send", msg(seq, 1, "retry", "retry", "retry")),
        settle(), observe(seq),
    ])
    seq = "queues-bodies"
    add("bodies", [
        call("QUEUE", "send", {"seq": seq, "n": 0, "plan": ["ack"], "f": 1.0, "b": 2.5, "z": None, "l": [1, True]}),
        call("QUEUE", "send", {"seq": seq, "n": 1, "plan": ["ack"], "big": 2**60}, contentType="json"),
        call("QUEUE", "send", {"seq": seq, "n": 2, "plan": ["ack"], "bytes": b"\x01"}),
        call("QUEUE", "send", {"seq": seq, "n": 3, "plan": ["ack"], "bytes": b"\x01", "set": {1}}, contentType="v8"),
        call("QUEUE", "send", {"seq": seq, "n": 4, "plan": ["ack"], "big": 2**60}, contentType="v8"),
        settle(), observe(seq),
    ])
    return s
