"""Differences that are known and intended, each with its reason and source.

``who`` says whose behaviour differs from production Cloudflare: ``"miniflare"`` when Miniflare's
simulator (or local workerd) is not what production does and pyflare follows production; ``"intended"``
for a documented choice of pyflare's. A difference matches an entry by binding, sequence id (a regular
expression), the operation's method, and optionally a predicate on the difference.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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
