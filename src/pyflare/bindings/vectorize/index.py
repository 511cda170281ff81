"""``VectorizeIndex``: the object a worker finds in ``env`` for each ``[[vectorize]]`` entry (a V2 index).

It keeps Cloudflare's method names and calling conventions: ``insert(vectors)``, ``upsert(vectors)``,
``query(vector, {"topK": 3})`` or ``query(vector, topK=3, returnMetadata="all")`` (Pyodide turns keyword
arguments into the options object), ``queryById(id, ...)``, ``getByIds(ids)``, ``deleteByIds(ids)``,
``describe()``. Vectors are dicts ``{"id", "values", "namespace"?, "metadata"?}``; ``values`` may be a list,
a tuple, an ``array.array`` or a NumPy array. Results are ``JsDict`` (``result.matches`` and
``result["matches"]``), shaped as Cloudflare's: ``{"count", "matches": [{"id", "score", "values"?,
"metadata"?, "namespace"?}]}`` for queries, ``{"mutationId"}`` for mutations, a list of vectors for
``getByIds``, ``{"vectorCount", "dimensions", "processedUpToDatetime", "processedUpToMutation"}`` for
``describe()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyflare.bindings.vectorize import constants as c
from pyflare.bindings.vectorize import errors as e
from pyflare.bindings.vectorize import validation as v
from pyflare.bindings.vectorize.filters import nest, parse_filter
from pyflare.bindings.vectorize.search import VectorTable, floats_of
from pyflare.bindings.vectorize.store import IndexStore
from pyflare.kernel.jsdict import JsDict, to_jsdict
from pyflare.kernel.jsvalues import json_parse
from pyflare.kernel.tracing import traced


def _span_attributes(index: VectorizeIndex, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"cloudflare.binding.type": "VECTORIZE", "cloudflare.binding.name": index.binding,
            "cloudflare.vectorize.index": index.index_name, "db.operation.name": method}


# Each call is a span of the running event's trace (docs/observability.md).
@traced("vectorize", {name: f"vectorize_{name}" for name in ("describe", "insert", "upsert", "deleteByIds",
                                                             "getByIds", "query", "queryById")}, _span_attributes)
class VectorizeIndex:
    """A Vectorize index binding (``env.VECTORS``)."""

    def __init__(self, resolve: Callable[[], IndexStore], binding: str, index_name: str) -> None:
        self._resolve = resolve  # the index's store, or an error saying why there is none
        self.binding = binding
        self.index_name = index_name

    def __repr__(self) -> str:
        return f"VectorizeIndex({self.binding!r}, index_name={self.index_name!r})"

    # -- information -----------------------------------------------------------------------------
    async def describe(self) -> JsDict:
        """``{vectorCount, dimensions, processedUpToDatetime, processedUpToMutation}``."""
        info = await self._resolve().info()
        return JsDict(vectorCount=info["vector_count"], dimensions=info["dimensions"],
                      processedUpToDatetime=info["processed_at"], processedUpToMutation=info["processed_mutation"])

    # -- mutations -------------------------------------------------------------------------------
    async def insert(self, vectors: Any) -> JsDict:
        """Insert vectors; ids already in the index are left as they are (use ``upsert`` to replace them)."""
        return await self._write("insert", vectors)

    async def upsert(self, vectors: Any) -> JsDict:
        """Insert vectors, replacing whole any vector with the same id."""
        return await self._write("upsert", vectors)

    async def _write(self, kind: str, vectors: Any) -> JsDict:
        store = self._resolve()
        checked = v.check_vectors(kind, vectors, store.dimensions)
        return JsDict(mutationId=await store.write(kind, checked))

    async def deleteByIds(self, ids: Any) -> JsDict:  # noqa: N802 - Cloudflare's name
        """Delete vectors by id (ids not in the index are ignored)."""
        store = self._resolve()
        checked = v.check_ids(e.VECTOR_DELETE, ids, c.MAX_DELETE_IDS)
        return JsDict(mutationId=await store.delete(checked))

    # -- reads -----------------------------------------------------------------------------------
    async def getByIds(self, ids: Any) -> list[JsDict]:  # noqa: N802 - Cloudflare's name
        """The stored vectors among ``ids`` (values, namespace and metadata), in the order asked."""
        store = self._resolve()
        checked = v.check_ids(e.VECTOR_GET, ids, c.MAX_GET_IDS)
        records = await store.records(checked)
        found = []
        for vector_id in dict.fromkeys(checked):
            record = records.get(vector_id)
            if record is None:
                continue
            namespace, values, metadata = record
            item = JsDict(id=vector_id, values=_values(values))
            if namespace is not None:
                item["namespace"] = namespace
            if metadata is not None:
                item["metadata"] = json_parse(metadata)
            found.append(item)
        return found

    async def query(self, vector: Any, options: Any = None, *, topK: Any = None, namespace: Any = None,  # noqa: N803
                    returnValues: Any = None, returnMetadata: Any = None, filter: Any = None) -> JsDict:  # noqa: A002,N803
        """The ``topK`` (default 5) vectors nearest ``vector``: ``{count, matches}``, best first."""
        store = self._resolve()
        opts = v.query_options(options, {"topK": topK, "namespace": namespace, "returnValues": returnValues,
                                         "returnMetadata": returnMetadata, "filter": filter})
        query = v.query_vector(vector, store.dimensions)
        return await self._search(store, query, opts)

    async def queryById(self, vectorId: Any, options: Any = None, *, topK: Any = None,  # noqa: N802,N803
                        namespace: Any = None, returnValues: Any = None, returnMetadata: Any = None,  # noqa: N803
                        filter: Any = None) -> JsDict:  # noqa: A002
        """As :meth:`query`, with the values of the stored vector ``vectorId`` (no matches if there is none)."""
        store = self._resolve()
        opts = v.query_options(options, {"topK": topK, "namespace": namespace, "returnValues": returnValues,
                                         "returnMetadata": returnMetadata, "filter": filter})
        query = await store.values_of(v.query_id(vectorId))
        if query is None:
            parse_filter(opts.filter)  # a bad filter is refused all the same
            return JsDict(matches=[], count=0)
        return await self._search(store, query, opts)

    async def _search(self, store: IndexStore, query: bytes, opts: v.QueryOptions) -> JsDict:
        flt = parse_filter(opts.filter)
        table, found = await store.search(query, opts.top_k, opts.namespace, flt)
        metadata = await store.metadata_of([i for i, _ in found]) if opts.return_metadata == "all" and found else {}
        matches = [_match(table, vector_id, score, opts, metadata) for vector_id, score in found]
        return JsDict(matches=matches, count=len(matches))


def _values(data: bytes) -> list[float]:
    return floats_of(data).tolist()


def _match(table: VectorTable, vector_id: str, score: float, opts: v.QueryOptions,
           metadata: dict[str, Any]) -> JsDict:
    match = JsDict(id=vector_id, score=score)
    row = table.rows[vector_id]
    if opts.return_values:
        match["values"] = table.values(vector_id)
    if opts.return_metadata == "all":
        match["metadata"] = metadata.get(vector_id) or JsDict()
    elif opts.return_metadata == "indexed":
        match["metadata"] = to_jsdict(nest(table.indexed_at(row)))
    namespace = table.namespaces[row]
    if namespace is not None:
        match["namespace"] = namespace
    return match

