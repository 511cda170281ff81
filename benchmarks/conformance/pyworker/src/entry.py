"""The pyflare side of the conformance suite: a Python worker that runs operation sequences against its
bindings and describes every result as ../../worker.mjs describes what a Python worker on Cloudflare gets.

It is written as a Cloudflare Python worker is (``workers``, ``js``, ``pyodide.ffi``), so the operations
run exactly as user code runs them: options are keyword arguments, results are whatever the binding
returns to Python. ``describe()`` writes a Python value as JSON: ints, ``{"$float": repr}``, bytes-likes
with their Python type, datetimes with their epoch milliseconds and whether they are naive, errors as
their JavaScript class name and message.
"""

import asyncio
import base64
import datetime
import inspect
import math
import re
import time

from js import Date, WebSocketPair, caches
from pyodide.ffi import create_proxy
from workers import DurableObject, Request, Response, WorkerEntrypoint

MAX_SAFE = 2**53
HEX32 = re.compile(r"^[0-9a-f]{32}$")
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


# -- values from a sequence to Python ----------------------------------------------------------------------
def _float(text):
    return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}.get(text) or float(text)


def from_json(value, refs):
    """A sequence's value as the Python value it stands for (see worker.mjs fromPy for the tags)."""
    if isinstance(value, list):
        return [from_json(item, refs) for item in value]
    if not isinstance(value, dict):
        return value
    if "$float" in value:
        return _float(value["$float"])
    if "$int" in value:
        return int(value["$int"])
    if "$bytes" in value:
        return base64.b64decode(value["$bytes"])
    if "$str" in value:
        units = b"".join(unit.to_bytes(2, "little") for unit in value["$str"])
        return units.decode("utf-16-le", "surrogatepass")
    if "$date" in value:
        return EPOCH + datetime.timedelta(milliseconds=value["$date"])
    if "$set" in value:
        return {from_json(item, refs) for item in value["$set"]}
    if "$ref" in value:
        return refs[value["$ref"]]
    if "$refField" in value:
        kept = refs[value["$refField"]]
        return kept[value["field"]] if isinstance(kept, dict) else getattr(kept, value["field"])
    if "$nowPlus" in value:
        return Date.now() // 1000 + value["$nowPlus"]
    if "$repeat" in value:
        return value["$repeat"] * value["n"]
    if "$bytesOf" in value:
        return bytes([value["$bytesOf"]]) * value["n"]
    if "$request" in value:
        return Request(value["$request"], **from_json(dict.get(value, "init") or {}, refs))
    if "$response" in value:
        return Response(from_json(value["$response"], refs), **from_json(dict.get(value, "init") or {}, refs))
    if "$dict" in value:
        return {k: from_json(v, refs) for k, v in value["$dict"].items()}
    return {k: from_json(v, refs) for k, v in value.items()}


# -- Python values to descriptions -----------------------------------------------------------------------
def _number(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -MAX_SAFE <= value <= MAX_SAFE else {"$int": str(value)}
    if math.isnan(value):
        return {"$float": "nan"}
    return {"$float": repr(value)}


def js_error_name(error):
    """The JavaScript class a Python exception stands for (pyflare raises Python classes named after them)."""
    name = getattr(error, "name", None)
    if isinstance(name, str) and name:
        return name
    for cls in type(error).__mro__:
        if cls.__name__ in ("RangeError", "TypeError", "DataCloneError", "SyntaxError", "DOMException"):
            return cls.__name__
    return "Error"


def _bytes(data, kind):
    return {"$bytes": base64.b64encode(bytes(data)).decode("ascii"), "type": kind}


def _tagged(out):
    return {"$dict": out} if any(k.startswith("$") for k in out) else out


R2_FIELDS = ("key", "version", "size", "etag", "httpEtag", "uploaded", "httpMetadata", "customMetadata",
             "range", "storageClass", "ssecKeyMd5")
CHECKSUMS = ("md5", "sha1", "sha256", "sha384", "sha512")


async def _read(stream):
    parts = []
    async for chunk in stream:
        parts.append(chunk.encode() if isinstance(chunk, str) else bytes(chunk))
    return b"".join(parts)


async def describe(value, read=True):
    """What a Python value looks like, as JSON (the same form worker.mjs writes)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, BaseException):
        return {"$error": {"name": js_error_name(value), "message": str(value)}}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _bytes(value, type(value).__name__)
    if type(value).__name__ == "ArrayBuffer" and hasattr(value, "to_bytes"):
        return _bytes(value.to_bytes(), "ArrayBuffer")
    if isinstance(value, datetime.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=datetime.timezone.utc)
        ms = (aware - EPOCH) // datetime.timedelta(milliseconds=1)
        return {"$date": ms, "naive": value.tzinfo is None}
    if isinstance(value, (list, tuple)):
        return [await describe(item, read) for item in value]
    if isinstance(value, (set, frozenset)):
        return {"$set": [await describe(item, read) for item in value]}
    if isinstance(value, dict):
        return _tagged({str(k): await describe(v, read) for k, v in value.items()})
    if isinstance(value, Response):
        if not read:
            return {"$type": "Response"}
        body = await value.bytes() if value.body is not None else None
        headers = [[k, v] for k, v in value.headers.items()]
        return {"$type": "Response", "status": value.status, "headers": headers,
                "body": None if body is None else _bytes(body, "bytes")}
    if hasattr(value, "httpEtag") and hasattr(value, "checksums"):
        return await _describe_r2_object(value, read)
    if hasattr(value, "rowsRead") and hasattr(value, "columnNames"):
        if not read:
            return {"$type": "SqlCursor", "columnNames": list(value.columnNames)}
        rows = [await describe(row) for row in value]
        return {"$type": "SqlCursor", "columnNames": await describe(value.columnNames), "rows": rows,
                "rowsRead": value.rowsRead, "rowsWritten": value.rowsWritten}
    if hasattr(value, "uploadId") and hasattr(value, "uploadPart"):
        return {"$type": "R2MultipartUpload", "key": value.key, "uploadId": value.uploadId}
    if hasattr(value, "__aiter__"):
        return _bytes(await _read(value), "stream") if read else {"$type": "stream"}
    if hasattr(value, "__next__") and hasattr(value, "__iter__"):
        return {"$iter": [await describe(item) for item in value]} if read else {"$type": "iterator"}
    if type(value).__name__ == "WebSocket":
        return {"$type": "WebSocket", "readyState": value.readyState}
    if type(value).__name__ == "D1PreparedStatement":
        return {"$type": "D1PreparedStatement"}
    if type(value).__name__ in ("Blob", "File"):
        data = await value.bytes() if read else None
        return {"$type": "Blob", "size": value.size, "type": value.type,
                "data": None if data is None else _bytes(data, "bytes")}
    if callable(value):
        return {"$type": "function"}
    return {"$type": type(value).__name__}


async def _describe_r2_object(value, read):
    out = {"$type": "R2ObjectBody" if hasattr(value, "body") else "R2Object"}
    for field in R2_FIELDS:
        out[field] = await describe(getattr(value, field, None))
    out["checksums"] = {name: await describe(getattr(value.checksums, name, None)) for name in CHECKSUMS}
    if hasattr(value, "body") and read:
        body = await value.arrayBuffer()
        out["body"] = _bytes(body, type(body).__name__)
    return out


# -- running operations ----------------------------------------------------------------------------------
class Scope:
    def __init__(self, env, targets=None):
        self.env = env
        self.targets = targets or {}
        self.refs = {}
        self.events = {}

    def target(self, name):
        if name.startswith("$"):
            return self.refs[name[1:]]
        if name == "cache":
            return caches.default
        if name == "caches":
            return caches
        if name in self.targets:
            found = self.targets[name]
            return found() if callable(found) else found
        return getattr(self.env, name)


async def run_op(op, scope):
    now = Date.now()
    try:
        if "wsPair" in op:
            return {"r": ws_pair(op, scope), "t": now}
        if "events" in op:
            return {"r": await ws_events(op, scope), "t": now}
        if "observe" in op:
            return {"r": observations(op), "t": now}
        on = scope.target(op["on"])
        if "get" in op:
            result = getattr(on, op["get"])
        elif "chain" in op:
            result = on
            for method, args, *rest in op["chain"]:
                kwargs = from_json(rest[0], scope.refs) if rest and rest[0] else {}
                result = getattr(result, method)(*[from_json(a, scope.refs) for a in args], **kwargs)
                if inspect.isawaitable(result):
                    result = await result
        else:
            args = [from_json(arg, scope.refs) for arg in dict.get(op, "args", [])]
            kwargs = from_json(dict.get(op, "kwargs") or {}, scope.refs)
            result = getattr(on, op["call"])(*args, **kwargs)
            if inspect.isawaitable(result) and not dict.get(op, "noAwait"):
                result = await result
        if dict.get(op, "as"):
            scope.refs[op["as"]] = result
            return {"r": await describe(result, False), "t": now}
        return {"r": await describe(result), "t": now}
    except Exception as error:  # every failure is a result to compare
        return {"r": await describe(error), "t": now}


async def run_ops(ops, scope):
    return [await run_op(op, scope) for op in ops]


# -- WebSockets -----------------------------------------------------------------------------------------
def _listener(events, kind):
    def on_event(event):
        if kind == "message":
            events.append({"type": "message", "data": event.data})
        elif kind == "close":
            events.append({"type": "close", "code": event.code, "reason": event.reason, "wasClean": event.wasClean})
        else:
            events.append({"type": "error", "message": str(getattr(event, "message", None) or event.error)})

    return create_proxy(on_event)


def ws_pair(op, scope):
    client, server = WebSocketPair.new().object_values()
    for name, socket in ((f"{op['wsPair']}.client", client), (f"{op['wsPair']}.server", server)):
        events = []
        scope.refs[name] = socket
        scope.events[name] = events
        for kind in ("message", "close", "error"):
            socket.addEventListener(kind, _listener(events, kind))
    return None


async def ws_events(op, scope):
    await asyncio.sleep(0.005)
    events = []
    for event in scope.events.get(op["events"], []):
        event = dict(event)
        if event["type"] == "message" and not isinstance(event["data"], str):
            event["data"] = await describe(event["data"])
        events.append(event)
    socket = scope.refs.get(op["events"])
    return {"events": events, "readyState": None if socket is None else socket.readyState}


# -- Queues ---------------------------------------------------------------------------------------------
DELIVERIES = []  # {queue, messages: [...]} in delivery order


def observations(op):
    """The deliveries of one sequence's messages, as worker.mjs observations() reports them."""
    seq = op["observe"]
    messages = {}
    batch_sizes = []
    for batch in DELIVERIES:
        mine = [m for m in batch["messages"] if m["seq"] == seq]
        if not mine:
            continue
        if batch["queue"] != "dlq":
            batch_sizes.append(len(mine))
        for m in mine:
            key = "?" if m["n"] is None else str(m["n"])
            messages.setdefault(key, []).append([batch["queue"], m["attempts"], m["body"], m["idOk"], m["timestamp"]])
    return {"messages": messages, "batchSizes": batch_sizes} if dict.get(op, "batches") else {"messages": messages}


async def consume(batch):
    seen = []
    throw_after = False
    batch_action = None
    for message in batch.messages:
        body = message.body
        seq = body.get("seq") if isinstance(body, dict) else None
        seen.append({"seq": seq, "n": body.get("n") if isinstance(body, dict) else None,
                     "body": await describe(body), "attempts": message.attempts,
                     "idOk": bool(HEX32.match(message.id)), "timestamp": await describe(message.timestamp)})
        plan = body.get("plan") if isinstance(body, dict) and isinstance(body.get("plan"), list) else []
        action = plan[min(message.attempts, len(plan)) - 1] if plan else "none"
        if action == "ack":
            message.ack()
        elif action == "retry":
            message.retry()
        elif action.startswith("retry:"):
            message.retry(delaySeconds=int(action[6:]))
        elif action == "throw":
            throw_after = True
        elif action in ("retryAll", "ackAll"):
            batch_action = action
    DELIVERIES.append({"queue": batch.queue, "messages": seen})
    if batch_action == "retryAll":
        batch.retryAll()
    if batch_action == "ackAll":
        batch.ackAll()
    if throw_after:
        raise RuntimeError("consumer failed on purpose")


# -- entry points ---------------------------------------------------------------------------------------
async def reset(binding, env):
    if binding == "kv":
        cursor = None
        while True:
            page = await env.KV.list(cursor=cursor) if cursor else await env.KV.list()
            for key in page["keys"]:
                await env.KV.delete(key["name"])
            if page["list_complete"]:
                break
            cursor = page["cursor"]
    elif binding == "r2":
        while True:
            listed = await env.BUCKET.list(limit=1000)
            if listed.objects:
                await env.BUCKET.delete([o.key for o in listed.objects])
            if not listed.truncated:
                break
    elif binding == "d1":
        tables = await env.DB.prepare(
            "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
            " AND name NOT LIKE '_cf_%'"
        ).all()
        statements = [env.DB.prepare("PRAGMA defer_foreign_keys = ON")]
        for row in tables["results"]:
            kind = "VIEW" if row["type"] == "view" else "TABLE"
            name = row["name"].replace('"', '""')
            statements.append(env.DB.prepare(f'DROP {kind} IF EXISTS "{name}"'))
        # last_insert_rowid() is the connection's: set it to 0 so each sequence starts alike
        statements += [env.DB.prepare(sql) for sql in RESET_ROWID]
        await env.DB.batch(statements)


RESET_ROWID = (
    "CREATE TABLE conformance_reset (x)",
    "INSERT INTO conformance_reset (rowid, x) VALUES (0, 0)",
    "DROP TABLE conformance_reset",
)


async def run_sequence(sequence, env):
    if sequence.get("object"):
        namespace = getattr(env, sequence["object"])
        stub = namespace.get(namespace.idFromName(sequence["id"]))
        return await stub.run(sequence["ops"])
    await reset(sequence.get("binding"), env)
    return await run_ops(sequence["ops"], Scope(env))


class SequenceObject(DurableObject):
    async def run(self, ops):
        storage = self.ctx.storage
        targets = {"storage": storage, "sql": lambda: storage.sql, "kv": lambda: storage.kv}
        return await run_ops(ops, Scope(self.env, targets))


class SqlObject(SequenceObject):
    pass


class KvObject(SequenceObject):
    pass


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        body = await request.json()
        out = []
        for sequence in body["sequences"]:
            started = time.perf_counter()
            try:
                results = await run_sequence(sequence, self.env)
                out.append({"id": sequence["id"], "results": results})
            except Exception as error:
                out.append({"id": sequence["id"], "failed": f"{js_error_name(error)}: {error}"})
            del started
        return Response.json(out)

    async def queue(self, batch, env, ctx):
        await consume(batch)
