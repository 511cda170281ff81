"""The objects a worker sees: ``env.DB`` (D1Database), sessions and prepared statements.

They are thin: shapes of results as Cloudflare's binding returns them (``d1-api.ts``); the semantics
live in :mod:`pyflare.bindings.d1.database`. Methods keep D1's camelCase names; options are keyword
arguments (``raw(columnNames=True)``); results are :class:`~pyflare.workers.JsDict`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyflare.bindings.d1 import constants
from pyflare.bindings.d1.database import D1Store, StatementResult
from pyflare.bindings.d1.errors import D1ColumnNotFoundError, D1DumpError, D1SessionError
from pyflare.bindings.d1.validation import bind_values, exec_query, raw_column_names
from pyflare.kernel.jsdict import JsDict
from pyflare.kernel.tracing import traced


def _span_attributes(owner: Any, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """A D1 call's span attributes, as workerd's d1-api.ts sets them."""
    session = owner._session if isinstance(owner, D1PreparedStatement) else getattr(owner, "_primary", owner)
    attributes: dict[str, Any] = {"db.system.name": "cloudflare-d1", "db.operation.name": method,
                                  "cloudflare.binding.type": "D1", "cloudflare.binding.name": session.binding,
                                  "cloudflare.d1.database": session._store.name}
    if isinstance(owner, D1PreparedStatement):
        attributes["db.query.text"] = owner.statement
    elif method == "exec" and args:
        attributes["db.query.text"] = str(args[0])
    elif method == "batch" and args:
        statements = list(args[0]) if isinstance(args[0], (list, tuple)) else []
        attributes["db.operation.batch.size"] = len(statements)
        attributes["db.query.text"] = "; ".join(getattr(s, "statement", "?") for s in statements)
    return attributes


def _objects(result: StatementResult) -> list[JsDict]:
    columns = result.columns
    return [JsDict(zip(columns, row, strict=False)) for row in result.rows]


def _d1_result(result: StatementResult) -> JsDict:
    return JsDict(success=True, meta=JsDict(result.meta), results=_objects(result))


@traced("d1", {"batch": "d1_batch"}, _span_attributes)
class D1DatabaseSession:
    """``withSession()``: queries that keep a bookmark (sequential consistency across replicas).

    Locally there is one copy of the database, so every query sees the latest writes; the session
    still hands out bookmarks as D1 does.
    """

    def __init__(self, store: D1Store, bookmark_or_constraint: str | None, *, binding: str = "") -> None:
        self._store = store
        self.binding = binding
        if bookmark_or_constraint is None:
            self._bookmark: str | None = None
        else:
            self._bookmark = bookmark_or_constraint.strip()
            if not self._bookmark:
                raise D1SessionError("invalid bookmark or constraint")

    def prepare(self, query: str) -> D1PreparedStatement:
        return D1PreparedStatement(self, query)

    async def batch(self, statements: Sequence[D1PreparedStatement]) -> list[JsDict]:
        queries = []
        for statement in statements:
            if not isinstance(statement, D1PreparedStatement):
                raise TypeError("Failed to execute 'batch' on 'D1Database': parameter 1 is not of type "
                                "'Array<D1PreparedStatement>'.")
            queries.append((statement.statement, statement.params))
        results = await self._run(self._store.transaction, queries)
        return [_d1_result(r) for r in results]

    def getBookmark(self) -> str | None:  # noqa: N802 - Cloudflare's name
        """The latest bookmark this session has seen (``None`` before its first query)."""
        if self._bookmark in (constants.SESSION_FIRST_PRIMARY, constants.SESSION_FIRST_UNCONSTRAINED):
            return None
        return self._bookmark

    async def _run(self, operation: Any, *args: Any) -> Any:
        result = await self._store.call(operation, *args)
        self._update_bookmark(self._store.bookmark())
        return result

    def _update_bookmark(self, bookmark: str) -> None:
        current = self.getBookmark()
        if current is None or current < bookmark:
            self._bookmark = bookmark


class _PrimarySession(D1DatabaseSession):
    """The session behind ``env.DB.prepare()``: always the primary, never a bookmark."""

    def __init__(self, store: D1Store, *, binding: str = "") -> None:
        super().__init__(store, None, binding=binding)

    async def _run(self, operation: Any, *args: Any) -> Any:
        return await self._store.call(operation, *args)

    def getBookmark(self) -> None:  # noqa: N802
        return None


@traced("d1", {"first": "d1_first", "all": "d1_all", "run": "d1_run", "raw": "d1_raw"}, _span_attributes)
class D1PreparedStatement:
    """``prepare(sql)``; ``bind()`` returns a new statement with the values converted (or D1_TYPE_ERROR)."""

    __slots__ = ("_session", "statement", "params")

    def __init__(self, session: D1DatabaseSession, statement: str, params: list[Any] | None = None) -> None:
        self._session = session
        self.statement = statement
        self.params: list[Any] = params if params is not None else []

    def bind(self, *values: Any) -> D1PreparedStatement:
        return D1PreparedStatement(self._session, self.statement, bind_values(values))

    async def _query(self) -> StatementResult:
        return await self._session._run(self._session._store.query, self.statement, self.params)

    async def first(self, colName: str | None = None) -> Any:  # noqa: N803 - Cloudflare's name
        """The first row as a dict (``None`` if no rows), or one column of it."""
        result = await self._query()
        if not result.rows:
            return None
        row = JsDict(zip(result.columns, result.rows[0], strict=False))
        if colName is None:
            return row
        if colName not in row:
            raise D1ColumnNotFoundError(f"Column not found ({colName})")
        return row[colName]

    async def all(self) -> JsDict:
        """``{success, meta, results: [row dicts]}``."""
        return _d1_result(await self._query())

    async def run(self) -> JsDict:
        """Same shape as ``all()`` (D1 includes ``results`` here too)."""
        return _d1_result(await self._query())

    async def raw(self, options: dict[str, Any] | None = None, *, columnNames: bool | None = None) -> list[list[Any]]:  # noqa: N803
        """Rows as lists of values; with ``columnNames=True`` the first list is the column names."""
        result = await self._query()
        rows = list(result.rows)
        if raw_column_names(options, columnNames):
            return [list(result.columns), *rows]
        return rows

    def __repr__(self) -> str:
        return f"D1PreparedStatement({self.statement!r}, params={self.params!r})"


@traced("d1", {"exec": "d1_exec"}, _span_attributes)
class D1Database:
    """``env.DB``: a D1 database binding."""

    def __init__(self, store: D1Store, *, binding: str = "") -> None:
        self._store = store
        self.binding = binding
        self._primary = _PrimarySession(store, binding=binding)

    def prepare(self, query: str) -> D1PreparedStatement:
        return D1PreparedStatement(self._primary, query)

    async def batch(self, statements: Sequence[D1PreparedStatement]) -> list[JsDict]:
        """Run statements as one transaction: all succeed, or the first error rolls back all of them."""
        return await self._primary.batch(statements)

    async def exec(self, query: str) -> JsDict:
        """Run SQL without bindings, one query per line -> ``{count, duration}``."""
        count, duration = await self._store.call(self._store.exec_lines, exec_query(query))
        return JsDict(count=count, duration=duration)

    def withSession(self, constraintOrBookmark: str | None = None) -> D1DatabaseSession:  # noqa: N802,N803
        """A session starting from a bookmark, or ``"first-primary"`` / ``"first-unconstrained"``."""
        if constraintOrBookmark is not None and not isinstance(constraintOrBookmark, str):
            # d1-api.ts calls constraintOrBookmark?.trim() first
            raise TypeError("constraintOrBookmark?.trim is not a function")
        value = (constraintOrBookmark or "").strip()
        return D1DatabaseSession(self._store, value or constants.SESSION_FIRST_UNCONSTRAINED, binding=self.binding)

    async def dump(self) -> bytes:
        """Deprecated on Cloudflare and no longer callable there; use ``pyflare d1 export``."""
        raise D1DumpError("dump() is no longer supported by D1; use `pyflare d1 export`")

    def __repr__(self) -> str:
        return f"D1Database({self._store.name!r})"
