"""``writeDataPoint()``'s checks, with workerd's texts (src/workerd/api/analytics-engine-impl.h)."""

from __future__ import annotations

import math
from typing import Any

from pyflare.bindings.analytics_engine import constants as c


def _sequence(event: dict[str, Any], key: str) -> list[Any]:
    value = event.get(key)
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{c.ERROR_PREFIX}{key} must be an array, not {type(value).__name__}")
    return list(value)


def _text(value: Any, what: str) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{c.ERROR_PREFIX}{what} must be a string or an ArrayBuffer, not {type(value).__name__}")


def data_point(event: Any) -> tuple[str, list[str], list[float]]:
    """``(index1, blobs, doubles)`` of a data point, or TypeError with workerd's text."""
    if event is None:
        return "", [], []
    if not isinstance(event, dict):
        raise TypeError(f"{c.ERROR_PREFIX}the data point must be an object with blobs, doubles and indexes, not "
                        f"{type(event).__name__}")
    indexes = _sequence(event, "indexes")
    if len(indexes) > c.MAX_INDEXES:
        raise TypeError(f"{c.ERROR_PREFIX}Maximum of {c.MAX_INDEXES} indexes supported.")
    index = ""
    if indexes and indexes[0] is not None:
        raw = _text(indexes[0], "indexes[0]")
        if len(raw) > c.MAX_INDEX_BYTES:
            raise TypeError(f"{c.ERROR_PREFIX}Size of indexes[0] exceeds {c.MAX_INDEX_BYTES} bytes).")
        index = raw.decode("utf-8", "replace")
    blobs_in = _sequence(event, "blobs")
    if len(blobs_in) > c.MAX_BLOBS:
        raise TypeError(f"{c.ERROR_PREFIX}Maximum of {c.MAX_BLOBS} blobs supported.")
    blobs: list[str] = []
    total = 0
    for position, blob in enumerate(blobs_in):
        if blob is None:  # a hole: this blob stays empty
            blobs.append("")
            continue
        raw = _text(blob, f"blobs[{position}]")
        total += len(raw)
        if total > c.MAX_BLOB_BYTES_TOTAL:
            raise TypeError(f"{c.ERROR_PREFIX}Cumulative size of blobs exceeds {c.MAX_BLOB_BYTES_TOTAL} bytes).")
        blobs.append(raw.decode("utf-8", "replace"))
    doubles_in = _sequence(event, "doubles")
    if len(doubles_in) > c.MAX_DOUBLES:
        raise TypeError(f"{c.ERROR_PREFIX}Maximum of {c.MAX_DOUBLES} doubles supported.")
    doubles: list[float] = []
    for position, value in enumerate(doubles_in):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{c.ERROR_PREFIX}doubles[{position}] must be a number, not {type(value).__name__}")
        number = float(value)
        doubles.append(number if math.isfinite(number) else 0.0)
    return index, blobs, doubles
