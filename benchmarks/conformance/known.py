"""Differences that are known and intended, each with its reason and source.

``who`` says whose behaviour differs from production Cloudflare: ``"miniflare"`` when Miniflare's
simulator (or local workerd) is not what production does and pyflare follows production; ``"intended"``
for a documented choice of pyflare's. A difference matches an entry by binding, sequence id (a regular
expression), the operation's method, and optionally a predicate on the difference.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Known:
    binding: str
    sequence: str  # a regular expression matched against the sequence id
    call: str | None  # the operation's method (or property), None for any
    who: str  # "miniflare" or "intended"
    reason: str
    source: str
    when: Callable[[Any], bool] | None = None  # a further test on the Difference

    def matches(self, diff: Any) -> bool:
        if diff.binding != self.binding or not re.fullmatch(self.sequence, diff.sequence):
            return False
        if self.call is not None and self.call not in (diff.op.get("call"), diff.op.get("get")):
            return False
        return self.when is None or bool(self.when(diff))


@dataclass(frozen=True)
class Rewrite:
    """A field where Miniflare differs from production the same way in every answer: before comparing, the
    field in Miniflare's answer is replaced by what production gives (``to``, a function of Miniflare's
    value and pyflare's), so the rest of the answer is still compared. Each use is counted in the report."""

    binding: str  # a regular expression over binding names
    field: str  # the key, anywhere in the answer
    to: Callable[[Any, Any], Any]  # (miniflare value, pyflare value) -> replacement
    reason: str
    source: str
    when: Callable[[Any, Any], bool] = lambda miniflare, pyflare: True
    methods: tuple[str, ...] = ()  # only for operations calling these (empty: any)

    def apply(self, binding: str, op: dict, miniflare: Any, pyflare: Any) -> tuple[Any, bool]:
        if not re.fullmatch(self.binding, binding):
            return miniflare, False
        if self.methods:
            from conformance.compare import op_method

            if op_method(op) not in self.methods:
                return miniflare, False
        changed = [False]

        def walk(m: Any, p: Any) -> Any:
            if isinstance(m, dict):
                out = {}
                for k, v in m.items():
                    theirs = p.get(k) if isinstance(p, dict) else None
                    if k == self.field and self.when(v, theirs):
                        new = self.to(v, theirs)
                        changed[0] = changed[0] or new != v
                        out[k] = new
                    else:
                        out[k] = walk(v, theirs)
                return out
            if isinstance(m, list):
                others = p if isinstance(p, list) else []
                return [walk(v, others[i] if i < len(others) else None) for i, v in enumerate(m)]
            return m

        result = walk(miniflare, pyflare)
        return result, changed[0]


def _error(diff: Any, side: str, text: str) -> bool:
    value = getattr(diff, side)
    return isinstance(value, dict) and "$error" in value and text in value["$error"]["message"]


MF = "packages/miniflare/src/workers"  # in cloudflare/workers-sdk


def _statement(diff: Any) -> str:
    """The SQL of a D1 or ctx.storage.sql operation ("" for others)."""
    op = diff.op
    if op.get("call") == "exec" and op.get("args"):
        return str(op["args"][0])
    for step in op.get("chain") or ():
        if step[0] == "prepare" and step[1]:
            return str(step[1][0])
    return ""


def _numbers_close(a: Any, b: Any) -> bool:
    """Equal but for the last digits of floating-point numbers."""
    def number(value: Any) -> float | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, dict) and set(value) == {"$float"}:
            return float(value["$float"])
        return None

    x, y = number(a), number(b)
    if x is not None and y is not None:
        return abs(x - y) <= 1e-12 * max(abs(x), abs(y), 1.0)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_numbers_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_numbers_close(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _only_field_differs(diff: Any, field: str) -> bool:
    """The two answers are the same but for ``field`` (anywhere in them)."""
    def drop(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: drop(v) for k, v in value.items() if k != field}
        if isinstance(value, list):
            return [drop(v) for v in value]
        return value

    return drop(diff.pyflare) == drop(diff.miniflare)


WORKERD_LIMITS = "workerd src/workerd/util/sqlite.c++ (setupSecurity: SQLITE_LIMIT_LENGTH 4 MiB, FUNCTION_ARG 127)"

RTREE_COMMIT = ("workerd commit 0d251c096 'STOR-5419: Enable the SQLite R*Tree extension', first released in "
                "v1.20260805.1, after this Miniflare's workerd 1.20260730")

DO_LIMITS = "Durable Objects docs durable-objects/platform/limits; workerd src/workerd/io/actor-storage.c++"

KNOWN: list[Known] = [
    # -- Durable Objects: the storage limits production enforces and local workerd does not ----------
    Known("do-kv", r"do-kv-.*", None, "miniflare",
          "a KV-backed object's keys are at most 2,048 bytes, values 128 KiB, 128 keys per call; local workerd "
          "keeps every object in SQLite and checks none of them",
          DO_LIMITS, when=lambda d: _error(d, "pyflare", "cannot be larger than") or
          _error(d, "pyflare", "Maximum number of key value pairs")),
    Known("do-kv", r"do-kv-counts", "delete", "miniflare",
          "follows from the refused 129-key delete before it (production refuses it, local workerd deletes)",
          DO_LIMITS, when=lambda d: d.pyflare == 128 and d.miniflare == 0),
    Known("do-sqlite", r"do-sqlite-value-size", "put", "miniflare",
          "a SQLite-backed object's key and value are at most 2 MB together; local workerd does not check it",
          DO_LIMITS, when=lambda d: _error(d, "pyflare", "cannot be larger than 2000000 bytes combined")),
    Known("do-kv", r"do-kv-sql-access", None, "miniflare",
          "production's text for SQL on an object that is not SQLite-backed; local workerd, which stores every "
          "object in SQLite, words it for workerd configs",
          "workerd src/workerd/api/actor-state.c++ (getSqliteKv, getSql: the production branch)",
          when=lambda d: _error(d, "pyflare", "not backed by SQLite storage") or
          _error(d, "pyflare", "SQLite can be enabled on a new Durable Object class")),
    Known("do-sql", r"do-sql-limits", "exec", "miniflare",
          "a SQLite-backed object's strings, BLOBs and rows are at most 2 MB and SQL functions take at most 32 "
          "arguments; local workerd allows 4 MiB and 127",
          f"Durable Objects docs durable-objects/platform/limits (SQLite-backed: 2 MB, 32 arguments); {WORKERD_LIMITS}",
          when=lambda d: _error(d, "pyflare", "string or blob too big") or
          _error(d, "pyflare", "too many arguments on function")),
    Known("do-sql", r"do-sql-authorizer", "exec", "miniflare",
          "PRAGMA page_size (reading it, no argument) is allowed since workerd enabled R*Tree, whose module reads "
          "it; the workerd in this Miniflare predates that and refuses it. Setting it stays refused",
          f"workerd src/workerd/util/sqlite.c++ (ALLOWED_PRAGMAS: page_size, NO_ARG); {RTREE_COMMIT}",
          when=lambda d: _statement(d).upper() == "PRAGMA PAGE_SIZE" and _error(d, "miniflare", "not authorized")),
    Known("do-sql", r"do-sql-authorizer", "exec", "intended",
          "PRAGMA data_version is 2 on a database in WAL mode, as workerd keeps an object's and as pyflare keeps "
          "persisted state; pyflare's temporary state (tests, --no-persist, this harness) keeps the journal in "
          "memory for speed, where SQLite starts it at 1. Its value only means something compared with another "
          "read on the same connection (it changes when another connection commits), which stays true",
          "sqlite.org pragma.html#pragma_data_version; workerd src/workerd/server/server.c++ (PRAGMA "
          "journal_mode=WAL); pyflare src/pyflare/storage/sqlite.py (Database: durable=False)",
          when=lambda d: _statement(d).upper() == "PRAGMA DATA_VERSION"
          and d.pyflare.get("rows") == [{"data_version": 1}] and d.miniflare.get("rows") == [{"data_version": 2}]),
    # -- D1: where Miniflare's D1 (a Durable Object running sql.exec) is not production's D1 --------------
    Known("d1", r"d1-limits", None, "miniflare",
          "D1's strings, BLOBs and rows are at most 2,000,000 bytes; Miniflare's D1 runs on a Durable Object, "
          "whose local workerd allows 4 MiB",
          f"D1 docs d1/platform/limits (maximum string, BLOB or table row size: 2 MB); {WORKERD_LIMITS}",
          when=lambda d: _error(d, "pyflare", "string or blob too big")),
    Known("d1", r"d1-(authorizer|meta)", None, "miniflare",
          "Miniflare's D1 database is a Durable Object's, with that object's own _cf_METADATA table: it shows "
          "in sqlite_master and PRAGMA table_list, a query naming it is refused (SQLITE_AUTH) where pyflare has "
          "no such table, and statements that read the schema (DROP TABLE, PRAGMA quick_check) read its row "
          "too",
          f"{MF}/d1/database.worker.ts (D1DatabaseObject extends MiniflareDurableObject); workerd "
          "src/workerd/io/actor-sqlite.c++ (_cf_METADATA)",
          when=lambda d: "_cf_METADATA" in repr(d.miniflare) or (
              _statement(d).upper().startswith(("DROP TABLE", "PRAGMA QUICK_CHECK"))
              and _only_field_differs(d, "rows_read"))),
    Known("d1", r"d1-authorizer", None, "miniflare",
          "R*Tree virtual tables: D1 allows them (and workerd's authorizer lists rtree and rtree_i32), the "
          "workerd in this Miniflare refuses them; what follows (dropping the table, the schema a DROP reads, "
          "the connection's total_changes() and last_insert_rowid(), which count every write of the "
          "database's, Miniflare's own included) differs with it",
          "D1 docs d1/sql-api/sql-statements (compatible extensions: FTS5, R*Tree); workerd "
          f"src/workerd/util/sqlite.c++ (isAuthorized, SQLITE_CREATE_VTABLE); {RTREE_COMMIT}",
          when=lambda d: "rtree" in _statement(d) or _statement(d).upper().startswith("DROP TABLE")
          or "total_changes()" in _statement(d)),
    Known("d1", r"d1-batch", "batch", "miniflare",
          "a batch of something other than prepared statements: Miniflare's D1 fails validating its own "
          "request body (a ZodError with a stack trace) where the binding's type check answers",
          f"{MF}/d1/database.worker.ts (D1QueriesSchema.parse); workerd src/cloudflare/internal/d1-api.ts (batch)",
          when=lambda d: _error(d, "miniflare", "ZodError")),
    Known("d1", r"d1-batch", "batch", "miniflare",
          "a statement of several SQL statements run again: Miniflare's D1 reuses workerd's prepared statements "
          "(sql.prepare), and the first run left the first of them mid-way, so workerd refuses to run it again",
          f"{MF}/d1/database.worker.ts (#query: this.db.prepare(query.sql)); workerd src/workerd/util/sqlite.c++ "
          "(Query::checkRequirements: 'can only be executed once at a time')",
          when=lambda d: _error(d, "miniflare", "can only be executed once at a time")),
    Known("d1", r"d1-dump", "dump", "intended",
          "dump() is gone from D1 (it failed with 'D1_DUMP_ERROR: Status + <status>'); pyflare's error "
          "keeps D1's prefix and says how to export instead",
          "D1 docs d1/worker-api/d1-database (dump: deprecated); workerd src/cloudflare/internal/d1-api.ts (dump)",
          when=lambda d: _error(d, "pyflare", "D1_DUMP_ERROR")),
    # -- the SQLite of the Python pyflare runs on ---------------------------------------------------------
    *[Known(binding, r".*", None, "platform",
            "pyflare runs the SQLite of the Python it runs on: one older than workerd's has a fixed parser stack "
            "(deeply parenthesised expressions fail) and sums floating-point numbers without the extended "
            "precision newer sum()/avg() use (the last digits differ)",
            "sqlite.org release notes (parser stack grown on demand; Kahan-Babuska-Neumaier summation in "
            "sum(), avg(), total())",
            when=lambda d: _error(d, "pyflare", "parser stack overflow") or (
                ("sum(" in _statement(d) or "avg(" in _statement(d)) and _numbers_close(d.pyflare, d.miniflare)))
      for binding in ("d1", "do-sql")],
    Known("d1", r"d1-authorizer", None, "platform",
          "dropping an FTS5 table: workerd's FTS5 writes its shadow tables differently, which moves the "
          "connection's last_insert_rowid()",
          "sqlite.org fts5 (shadow tables); meta.last_row_id is the connection's last_insert_rowid()",
          when=lambda d: _statement(d).upper().startswith("DROP TABLE") and _only_field_differs(d, "last_row_id")),
    *[Known(binding, r".*", None, "approximation",
            "rows read by a statement whose foreign key actions or triggers run (here ON DELETE CASCADE): "
            "pyflare counts the statement's own program exactly, the sub-programs SQLite runs for the actions "
            "only as the rows they change",
            "workerd patches/sqlite/0001-row-counts-plain.patch; pyflare src/pyflare/storage/rowcounts.py",
            when=lambda d: "DELETE FROM PARENT" in _statement(d).upper() and (
                _only_field_differs(d, "rowsRead") or _only_field_differs(d, "rows_read")))
      for binding in ("d1", "do-sql")],
    *[Known(binding, r".*", None, "approximation",
            "rows read building an index: workerd's newer SQLite builds it with a program that reads a row or "
            "two more than the program of this Python's SQLite, from which pyflare counts",
            "workerd patches/sqlite/0001-row-counts-plain.patch; pyflare src/pyflare/storage/rowcounts.py",
            when=lambda d: _statement(d).upper().startswith("CREATE INDEX") and (
                _only_field_differs(d, "rowsRead") or _only_field_differs(d, "rows_read")))
      for binding in ("d1", "do-sql")],
    # -- Queues: limits and delivery rules where Miniflare's broker differs ------------------------------
    Known("queues", r"queues-send-limits", None, "miniflare",
          "a message may be delayed 12 hours (43,200 s) at most; Miniflare's broker allows 24 hours",
          f"Queues docs queues/platform/limits (delaySeconds: 12 hours); {MF}/queues/schemas.ts (max 86400)",
          when=lambda d: _error(d, "pyflare", "message delay 43201 is invalid")),
    Known("queues", r"queues-send-limits", "send", "miniflare",
          "a negative delay is refused with pyflare's text; Miniflare's broker fails validating it (500)",
          f"{MF}/queues/broker.worker.ts validateMessageDelay",
          when=lambda d: _error(d, "miniflare", "Internal Server Error")),
    Known("queues", r"queues-send-limits", "sendBatch", "miniflare",
          "a batch is at most 256 KB; Miniflare's broker allows 32 KB more",
          f"Queues docs queues/platform/limits (256 KB per batch); {MF}/queues/broker.worker.ts "
          "(MAX_MESSAGE_BATCH_SIZE = (256 + 32) * 1000)",
          when=lambda d: _error(d, "pyflare", "exceeds limit of 256000")),
    Known("queues", r"queues-(throw|batch-actions)", None, "miniflare",
          "a message acked with ack() is not delivered again when the handler then throws or calls "
          "retryAll() (workerd reports the explicit acks); Miniflare's broker ignores them and retries the "
          "whole batch",
          f"Queues docs queues/configuration/batching-retries (explicit acknowledgement); "
          f"{MF}/queues/broker.worker.ts (#flush: retryAll when the outcome is not ok)",
          when=lambda d: isinstance(d.pyflare, dict) and "messages" in d.pyflare),

    # -- R2: limits and errors Miniflare's simulator does not have -------------------------------------
    Known("r2", r"r2-delete-many", "delete", "miniflare",
          "R2 deletes at most 1,000 keys per call; Miniflare's simulator takes any number",
          f"R2 docs r2/api/workers/workers-api-reference (delete: up to 1000 keys); {MF}/r2/bucket.worker.ts",
          when=lambda d: _error(d, "pyflare", "at most 1000 keys")),
    Known("r2", r"r2-multipart-errors", "createMultipartUpload", "miniflare",
          "custom metadata is limited to 2,048 bytes for multipart uploads too; Miniflare checks it on put only",
          f"R2 docs r2/platform/limits (custom metadata 2048 bytes); {MF}/r2/bucket.worker.ts createMultipartUpload",
          when=lambda d: _error(d, "pyflare", "metadata headers exceed")),
    Known("r2", r"r2-multipart-errors", None, "miniflare",
          "an upload id R2 never issued is NoSuchUpload (10024); Miniflare fails decoding it (internal error 10001)",
          f"R2 docs r2/api/error-codes (10024 NoSuchUpload); {MF}/r2/bucket.worker.ts (#decodeUploadId)",
          when=lambda d: _error(d, "miniflare", "internal error") and _error(d, "pyflare", "(10024)")),
    Known("r2", r"gen-r2-.*", "get", "miniflare",
          "a range of an empty object gives its empty body; Miniflare's blob store fails an assertion "
          "(\"Unspecified error (0)\")",
          f"{MF}/shared/blob.worker.ts fetchSingleRange (assert); workerd src/workerd/api/r2-bucket.c++",
          when=lambda d: _error(d, "miniflare", "Unspecified error (0)")),
]

REWRITES: list[Rewrite] = [
    *[Rewrite(
        "r2", field, lambda miniflare, pyflare: None,
        "an object listed without include=[...] has no metadata (None); Miniflare's simulator sends empty "
        "metadata, which workerd turns into {}",
        f"workerd src/workerd/api/r2-bucket.c++ parseObjectMetadata; {MF}/r2/bucket.worker.ts (listing rowObject)",
        when=lambda miniflare, pyflare: miniflare == {} and pyflare is None, methods=("list",),
    ) for field in ("httpMetadata", "customMetadata")],
    Rewrite(
        "r2", "storageClass", lambda miniflare, pyflare: "Standard",
        "Miniflare's R2 simulator reports an empty storage class; R2 reports \"Standard\" for objects stored "
        "without one",
        "R2 docs, api/workers/workers-api-reference (R2Object.storageClass); workerd src/workerd/api/r2-bucket.c++",
        when=lambda miniflare, pyflare: miniflare == "",
    ),
]


@dataclass(frozen=True)
class Replay:
    """A difference explained by doing what Miniflare does: the sequence is run again on pyflare with
    ``patch`` in force (pyflare made to behave as Miniflare, where Miniflare differs from production), and an
    operation that then answers exactly as Miniflare did is explained by this entry."""

    binding: str  # a regular expression over binding names
    who: str
    reason: str
    source: str
    patch: Callable[[], AbstractContextManager[Any]]

    def known(self, binding: str) -> Known:
        return Known(binding, r".*", None, self.who, self.reason, self.source)


@contextmanager
def _d1_numbers_as_real() -> Iterator[None]:
    from pyflare.bindings.d1 import validation

    original = validation.bind_value

    def as_miniflare(value: Any) -> Any:
        bound = original(value)
        return float(bound) if type(bound) is int else bound

    validation.bind_value = as_miniflare
    try:
        yield
    finally:
        validation.bind_value = original


REPLAYS: list[Replay] = [
    Replay(
        "d1", "miniflare",
        "D1 stores a whole JavaScript number (and a boolean) bound to a query as INTEGER; Miniflare's D1 runs "
        "on a Durable Object's sql.exec(), which binds every number as REAL (so typeof() says 'real', "
        "integer division and text forms differ). Replayed on pyflare with numbers bound as REAL, the "
        "operation answers as Miniflare did",
        "D1 docs d1/worker-api (Type conversion: Number -> INTEGER for whole numbers, Boolean -> INTEGER); "
        f"{MF}/d1/database.worker.ts (#query: this.db.prepare(sql)(...params)); workerd src/workerd/api/sql.c++ "
        "(BindingValue: double)",
        _d1_numbers_as_real,
    ),
]
