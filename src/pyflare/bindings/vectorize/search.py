"""Nearest-neighbour search over one index's vectors, in memory, by brute force.

A :class:`VectorTable` mirrors the processed vectors of an index: ids, namespaces, the values the metadata
indexes hold (for filters) and the float32 values. The store fills it once from SQLite and then keeps it
up to date after every change it applies (append, overwrite in place, swap-remove), so a query never reads
SQLite. Search is exact (every candidate is scored), which is what a development index of up to a few hundred
thousand vectors needs; Cloudflare's own search is approximate, so scores may differ in the last digits.

With NumPy (``python3 -m pip install numpy``; pyflare's ``vectorize`` extra) the values are one float32 matrix
and a query is one matrix-vector product over the rows that pass the namespace and the filter; the candidates
are then rescored exactly in float64. Without NumPy, rows are ``array('f')`` and scoring is pure Python:
correct, about a hundred times slower, and it says so once when an index is large.

Scores follow Cloudflare's distance metrics (best-practices/create-indexes): ``cosine`` is the cosine
similarity (1 identical, higher first), ``euclidean`` the L2 distance (0 identical, lower first; the docs'
tutorial shows 0.4634 for vectors whose squared distance is 0.2147), ``dot-product`` the *negative* dot
product (lower first: "a score of -1000 is more similar than -500"). A zero vector has cosine 0 with
anything.
"""

from __future__ import annotations

import array
import heapq
import json
import logging
import math
import operator
import struct
import sys
from collections.abc import Iterable
from typing import Any

from pyflare.bindings.vectorize import constants as c
from pyflare.bindings.vectorize.filters import BOOLEAN, NUMBER, STRING, Condition, Filter, tag

log = logging.getLogger("pyflare.vectorize")

PREFER_NUMPY = True  # tests set this to False to run the pure-Python search
_RESCORE_SLACK = 16  # candidates rescored beyond topK: float32 keys may misorder near ties


def numpy_module() -> Any:
    """NumPy if it is installed (and preferred), else None."""
    if not PREFER_NUMPY:
        return None
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def floats_of(values: bytes) -> array.array:
    """Little-endian float32 bytes as an ``array('f')``."""
    row = array.array("f")
    row.frombytes(values)
    if sys.byteorder != "little":
        row.byteswap()
    return row


class VectorTable:
    """The processed vectors of one index, ready to search."""

    def __init__(self, name: str, dimensions: int, metric: str, np: Any = None) -> None:
        self.name = name
        self.dimensions = dimensions
        self.metric = metric
        self.ids: list[str] = []
        self.rows: dict[str, int] = {}
        self.namespaces: list[str | None] = []
        # per row: the values its metadata indexes hold, as a dict, or as the stored JSON text until first
        # needed (a table loads without parsing every vector's JSON)
        self.indexed: list[dict[str, Any] | str] = []
        self._rows: _Rows = _NumpyRows(dimensions, np) if np is not None else _PythonRows(dimensions)
        self._hinted = np is not None

    def __len__(self) -> int:
        return len(self.ids)

    # -- changes ---------------------------------------------------------------------------------
    def load(self, rows: Iterable[tuple[str, str | None, bytes, dict[str, Any] | str]]) -> None:
        """Fill an empty table: ``(id, namespace, float32 bytes, indexed values or their JSON)`` per vector."""
        values: list[bytes] = []
        for vector_id, namespace, data, indexed in rows:
            self.rows[vector_id] = len(self.ids)
            self.ids.append(vector_id)
            self.namespaces.append(namespace)
            self.indexed.append(indexed)
            values.append(data)
        self._rows.extend(values, self.namespaces)

    def put(self, vectors: list[tuple[str, bytes, str | None, dict[str, Any]]]) -> None:
        """Add vectors ``(id, float32 bytes, namespace, indexed values)``, replacing those with the same id
        (new rows are appended in one block)."""
        added: list[bytes] = []
        namespaces: list[str | None] = []
        for vector_id, values, namespace, indexed in vectors:
            row = self.rows.get(vector_id)
            if row is None:
                self.rows[vector_id] = len(self.ids)
                self.ids.append(vector_id)
                self.namespaces.append(namespace)
                self.indexed.append(indexed)
                added.append(values)
                namespaces.append(namespace)
            else:
                self.namespaces[row] = namespace
                self.indexed[row] = indexed
                self._rows.assign(row, values, namespace)
        self._rows.extend(added, namespaces)
        self._rows.changed()

    def remove(self, vector_id: str) -> None:
        row = self.rows.pop(vector_id, None)
        if row is None:
            return
        last = len(self.ids) - 1
        if row != last:  # the last row takes the freed place: rows stay dense
            moved = self.ids[last]
            self.ids[row], self.namespaces[row], self.indexed[row] = moved, self.namespaces[last], self.indexed[last]
            self.rows[moved] = row
            self._rows.move(last, row)
        self.ids.pop()
        self.namespaces.pop()
        self.indexed.pop()
        self._rows.truncate(last)
        self._rows.changed()

    def drop_indexed(self, prop: str) -> None:
        """A metadata index was deleted: no vector has an indexed value for ``prop`` any more."""
        for row in range(len(self.indexed)):
            self.indexed_at(row).pop(prop, None)
        self._rows.changed()

    def indexed_at(self, row: int) -> dict[str, Any]:
        """The values the metadata indexes hold of the vector in ``row``."""
        values = self.indexed[row]
        if isinstance(values, str):
            values = self.indexed[row] = json.loads(values)
        return values  # type: ignore[return-value]

    # -- reads -----------------------------------------------------------------------------------
    def values(self, vector_id: str) -> list[float] | None:
        row = self.rows.get(vector_id)
        return None if row is None else self._rows.values(row)

    def values_bytes(self, vector_id: str) -> bytes | None:
        row = self.rows.get(vector_id)
        return None if row is None else self._rows.row_bytes(row)

    def search(self, query: bytes, top_k: int, namespace: str | None, flt: Filter | None) -> list[tuple[str, float]]:
        """The ``top_k`` best ``(id, score)`` among the vectors in ``namespace`` (all when None) that pass
        ``flt``, best first (ties by id)."""
        if not self.ids:
            return []
        if not self._hinted and len(self.ids) >= c.SLOW_SEARCH_HINT_AT:
            self._hinted = True
            log.warning("Vectorize index %r holds %d vectors and NumPy is not installed: queries use pyflare's "
                        "pure-Python search, which is slow at this size. Install NumPy (pip install numpy) to "
                        "search it fast.", self.name, len(self.ids))
        scored = self._rows.search(self, floats_of(query), top_k, namespace, flt)
        return [(self.ids[row], score) for row, score in scored]


# -- scoring shared by both backends ---------------------------------------------------------------
def as_float32(value: float) -> float:
    """A score as Vectorize reports it: at float32 precision (so a vector scores exactly 1.0 against itself)."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


def _rank_key(metric: str, score: float) -> float:
    """Lower is better: cosine similarity sorts descending, distances and negative dot products ascending."""
    return -score if metric == "cosine" else score


def _exact_score(metric: str, row: Any, query: Any) -> float:
    """The score of one row in float64 (the values are float32)."""
    if metric == "euclidean":
        return math.sqrt(math.fsum((a - b) * (a - b) for a, b in zip(row, query, strict=True)))
    dot = math.fsum(map(operator.mul, row, query))
    if metric == "dot-product":
        return -dot
    norms = math.sqrt(math.fsum(a * a for a in row)) * math.sqrt(math.fsum(b * b for b in query))
    return dot / norms if norms else 0.0


def _best(metric: str, candidates: Iterable[tuple[int, float]], top_k: int, ids: list[str]) -> list[tuple[int, float]]:
    ranked = sorted(candidates, key=lambda item: (_rank_key(metric, item[1]), ids[item[0]]))
    return ranked[:top_k]


class _Rows:
    """Storage of the float32 values of a table's rows (one implementation per backend)."""

    def extend(self, values: list[bytes], namespaces: list[str | None]) -> None: ...
    def assign(self, row: int, values: bytes, namespace: str | None) -> None: ...
    def move(self, source: int, target: int) -> None: ...
    def truncate(self, size: int) -> None: ...
    def changed(self) -> None: ...
    def values(self, row: int) -> list[float]: ...
    def row_bytes(self, row: int) -> bytes: ...

    def search(self, table: VectorTable, query: array.array, top_k: int, namespace: str | None,
               flt: Filter | None) -> list[tuple[int, float]]: ...


class _PythonRows(_Rows):
    """Rows as ``array('f')`` with their squared norms; a query scores every candidate with one C-level
    ``sum(map(mul, ...))`` each, then rescores the best exactly."""

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self.rows: list[array.array] = []
        self.squares: list[float] = []

    def extend(self, values: list[bytes], namespaces: list[str | None]) -> None:
        for data in values:
            row = floats_of(data)
            self.rows.append(row)
            self.squares.append(sum(map(operator.mul, row, row)))

    def assign(self, row: int, values: bytes, namespace: str | None) -> None:
        self.rows[row] = floats_of(values)
        self.squares[row] = sum(map(operator.mul, self.rows[row], self.rows[row]))

    def move(self, source: int, target: int) -> None:
        self.rows[target] = self.rows[source]
        self.squares[target] = self.squares[source]

    def truncate(self, size: int) -> None:
        del self.rows[size:]
        del self.squares[size:]

    def values(self, row: int) -> list[float]:
        return self.rows[row].tolist()

    def row_bytes(self, row: int) -> bytes:
        data = array.array("f", self.rows[row])
        if sys.byteorder != "little":
            data.byteswap()
        return data.tobytes()

    def search(self, table: VectorTable, query: array.array, top_k: int, namespace: str | None,
               flt: Filter | None) -> list[tuple[int, float]]:
        metric = table.metric
        candidates: Iterable[int] = range(len(self.rows))
        if namespace is not None:
            candidates = [i for i in candidates if table.namespaces[i] == namespace]
        if flt is not None:
            candidates = [i for i in candidates if flt.matches(table.indexed_at(i))]
        q = query.tolist()
        q_square = sum(map(operator.mul, q, q))
        rows, squares, mul = self.rows, self.squares, operator.mul
        if metric == "cosine":
            def key(i: int) -> float:
                norms = math.sqrt(squares[i] * q_square)
                return -sum(map(mul, q, rows[i])) / norms if norms else 0.0
        elif metric == "euclidean":
            def key(i: int) -> float:
                return squares[i] - 2.0 * sum(map(mul, q, rows[i]))
        else:
            def key(i: int) -> float:
                return -sum(map(mul, q, rows[i]))
        best = heapq.nsmallest(top_k + _RESCORE_SLACK, candidates, key=key)
        return _best(metric, ((i, as_float32(_exact_score(metric, rows[i], q))) for i in best), top_k, table.ids)


class _NumpyRows(_Rows):
    """Rows as one float32 matrix (grown by doubling), with squared norms and namespace codes beside it."""

    def __init__(self, dimensions: int, np: Any) -> None:
        self.np = np
        self.dimensions = dimensions
        self.size = 0
        self.matrix = np.zeros((0, dimensions), dtype=np.float32)
        self.squares = np.zeros(0, dtype=np.float64)  # |row|^2, for cosine and euclidean
        self.namespace_codes = np.zeros(0, dtype=np.int32)  # -1: no namespace
        self.codes: dict[str, int] = {}
        self.columns: dict[str, dict[str, Any]] = {}  # filter columns, rebuilt after a change

    def _code(self, namespace: str | None) -> int:
        if namespace is None:
            return -1
        return self.codes.setdefault(namespace, len(self.codes))

    def _reserve(self, size: int) -> None:
        capacity = len(self.matrix)
        if size <= capacity:
            return
        capacity = max(size, capacity * 2, 64)
        np = self.np
        for name, dtype, shape in (("matrix", np.float32, (capacity, self.dimensions)),
                                   ("squares", np.float64, (capacity,)), ("namespace_codes", np.int32, (capacity,))):
            grown = np.zeros(shape, dtype=dtype)
            grown[: self.size] = getattr(self, name)[: self.size]
            setattr(self, name, grown)

    def extend(self, values: list[bytes], namespaces: list[str | None]) -> None:
        np = self.np
        count = len(values)
        if not count:
            return
        self._reserve(self.size + count)
        block = np.frombuffer(bytearray().join(values), dtype="<f4").reshape(count, self.dimensions)
        if not self.size:  # a first load: the joined buffer becomes the matrix (no second copy)
            self.matrix = block
            self.squares = np.einsum("ij,ij->i", block, block, dtype=np.float64)
            self.namespace_codes = np.array([self._code(ns) for ns in namespaces[-count:]], dtype=np.int32)
            self.size = count
            return
        rows = slice(self.size, self.size + count)
        self.matrix[rows] = block
        self.squares[rows] = np.einsum("ij,ij->i", block, block, dtype=np.float64)
        self.namespace_codes[rows] = [self._code(ns) for ns in namespaces[-count:]]
        self.size += count

    def assign(self, row: int, values: bytes, namespace: str | None) -> None:
        vector = self.np.frombuffer(values, dtype="<f4")
        self.matrix[row] = vector
        self.squares[row] = float(self.np.dot(vector.astype(self.np.float64), vector))
        self.namespace_codes[row] = self._code(namespace)

    def move(self, source: int, target: int) -> None:
        self.matrix[target] = self.matrix[source]
        self.squares[target] = self.squares[source]
        self.namespace_codes[target] = self.namespace_codes[source]

    def truncate(self, size: int) -> None:
        self.size = size

    def changed(self) -> None:
        self.columns.clear()

    def values(self, row: int) -> list[float]:
        return self.matrix[row].tolist()

    def row_bytes(self, row: int) -> bytes:
        return self.matrix[row].astype("<f4").tobytes()

    # -- filters ---------------------------------------------------------------------------------
    def _column(self, table: VectorTable, path: str) -> dict[str, Any]:
        column = self.columns.get(path)
        if column is not None:
            return column
        np = self.np
        tags = np.zeros(self.size, dtype=np.int8)
        numbers = np.full(self.size, np.nan)
        strings = np.full(self.size, -1, dtype=np.int32)  # a code: the string's place in `distinct`
        distinct: dict[str, int] = {}
        booleans = np.zeros(self.size, dtype=bool)
        for row in range(self.size):
            indexed = table.indexed_at(row)
            tagged = tag(indexed.get(path)) if indexed else None
            if tagged is None:
                continue
            kind, value = tagged
            tags[row] = kind
            if kind == NUMBER:
                numbers[row] = value
            elif kind == STRING:
                strings[row] = distinct.setdefault(value, len(distinct))
            else:
                booleans[row] = value
        column = self.columns[path] = {"tags": tags, NUMBER: numbers, STRING: strings, BOOLEAN: booleans,
                                       "distinct": distinct}
        return column

    def _strings_where(self, column: dict[str, Any], test: Any) -> Any:
        """Rows whose string passes ``test``: decided once per distinct string, then looked up by code."""
        passing = [test(value) for value in column["distinct"]] + [False]  # code -1 (no string) reads the last
        return self.np.array(passing, dtype=bool)[column[STRING]]

    def _equal(self, column: dict[str, Any], operand: Any) -> Any:
        if operand is None:
            return column["tags"] == 0
        kind, value = operand
        if kind == STRING:
            code = column["distinct"].get(value)
            return column[STRING] == (-2 if code is None else code)
        return (column["tags"] == kind) & (column[kind] == value)

    def _mask(self, table: VectorTable, condition: Condition) -> Any:
        column = self._column(table, condition.path)
        if condition.kind == "range":
            kind = (condition.lower or condition.upper)[0]  # type: ignore[index]
            if condition.lower is not None and condition.upper is not None and condition.lower[0] != condition.upper[0]:
                return self.np.zeros(self.size, dtype=bool)  # a string bound with a number bound: nothing is both
            if kind == STRING:
                return self._strings_where(column, lambda value: condition.test((STRING, value)))
            mask = column["tags"] == kind
            values = column[kind]
            if condition.lower is not None:
                mask &= (values >= condition.lower[1]) if condition.lower_inclusive else (values > condition.lower[1])
            if condition.upper is not None:
                mask &= (values <= condition.upper[1]) if condition.upper_inclusive else (values < condition.upper[1])
            return mask
        mask = self.np.zeros(self.size, dtype=bool)
        for operand in condition.operands:
            mask |= self._equal(column, operand)
        return ~mask if condition.negate else mask

    # -- search ----------------------------------------------------------------------------------
    def search(self, table: VectorTable, query: array.array, top_k: int, namespace: str | None,
               flt: Filter | None) -> list[tuple[int, float]]:
        np = self.np
        mask = None
        if namespace is not None:
            code = self.codes.get(namespace)
            if code is None:
                return []
            mask = self.namespace_codes[: self.size] == code
        if flt is not None:
            for condition in flt.conditions:
                part = self._mask(table, condition)
                mask = part if mask is None else mask & part
        q = np.frombuffer(query.tobytes(), dtype=np.float32) if sys.byteorder == "little" else np.asarray(query, np.float32)
        if mask is None:
            rows = None
            dots = self.matrix[: self.size] @ q
            squares = self.squares[: self.size]
        else:
            rows = np.flatnonzero(mask)
            if not len(rows):
                return []
            dots = self.matrix[rows] @ q
            squares = self.squares[rows]
        metric = table.metric
        if metric == "cosine":
            norms = np.sqrt(squares) * math.sqrt(float(np.dot(q.astype(np.float64), q)))
            with np.errstate(divide="ignore", invalid="ignore"):
                keys = -np.where(norms > 0, dots / norms, 0.0)
        elif metric == "euclidean":
            keys = squares - 2.0 * dots
        else:
            keys = -dots
        count = len(keys)
        take = min(count, top_k + _RESCORE_SLACK)
        best = np.argpartition(keys, take - 1)[:take] if take < count else np.arange(count)
        chosen = best if rows is None else rows[best]
        exact = self._exact(metric, self.matrix[chosen], q).astype(np.float32)  # reported at float32 precision
        return _best(metric, zip(chosen.tolist(), exact.tolist(), strict=True), top_k, table.ids)

    def _exact(self, metric: str, block: Any, query: Any) -> Any:
        np = self.np
        block = block.astype(np.float64)
        query = query.astype(np.float64)
        if metric == "euclidean":
            return np.sqrt(((block - query) ** 2).sum(axis=1))
        dots = block @ query
        if metric == "dot-product":
            return -dots
        norms = np.linalg.norm(block, axis=1) * np.linalg.norm(query)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(norms > 0, dots / norms, 0.0)
