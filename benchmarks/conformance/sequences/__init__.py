"""The sequences: hand-written edge cases per binding, plus seeded generated ones (generated.py)."""

from __future__ import annotations

from conformance.sequences import cache, d1, durable_objects, generated, kv, queues, r2, websockets

MODULES = (kv, r2, d1, durable_objects, queues, cache, websockets)


def all_sequences(seed: int = generated.DEFAULT_SEED) -> list[dict]:
    """Every sequence, hand-written ones first, in a fixed order (a rerun gives the same report)."""
    out = [s for module in MODULES for s in module.sequences()]
    out += generated.sequences(seed)
    ids = [s["id"] for s in out]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"sequence ids used twice: {sorted(duplicates)}")
    return out
