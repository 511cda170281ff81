// The Miniflare side of pyflare's conformance suite: a JavaScript worker that runs operation sequences
// (JSON, written in benchmarks/conformance/sequences/) against its bindings and answers, for every
// operation, the value a *Python* worker on Cloudflare would get back, described as JSON.
//
// Two conversions make that value what Python sees, not what JavaScript sees:
// - arguments: a sequence writes Python values (ints, {"$float": "1.5"}, {"$bytes": base64}, dicts...);
//   fromPy() turns them into the JavaScript values the Python Workers SDK (python_to_rpc, Pyodide's to_js)
//   would pass: an int beyond 2**53 becomes a BigInt, None becomes null, a dict a plain object.
// - results: describe() writes what python_from_rpc and Pyodide's conversions would give Python: a number
//   that is integral (and within 2**53) is an int, an ArrayBuffer a memoryview, a Date a naive datetime.
// pyworker/src/entry.py runs the same sequences on pyflare and describes Python values the same way.

import { DurableObject } from "cloudflare:workers";

const MAX_SAFE = 2 ** 53;

// -- values from a sequence (Python values) to JavaScript ----------------------------------------------
function base64ToBytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function bytesToBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function floatFrom(text) {
  if (text === "nan") return NaN;
  if (text === "inf") return Infinity;
  if (text === "-inf") return -Infinity;
  return Number(text);
}

// `raw`: the call goes to a plain JavaScript object (a WebSocket, the Cache API), not to a binding the SDK
// wraps, so Pyodide's own conversion applies and None is undefined rather than null.
function fromPy(value, refs, raw = false) {
  if (value === null) return raw ? undefined : null;
  if (Array.isArray(value)) return value.map((item) => fromPy(item, refs, raw));
  if (typeof value === "number") return value; // a JSON integer: a Python int within 2**53
  if (typeof value !== "object") return value;
  if ("$float" in value) return floatFrom(value.$float);
  if ("$int" in value) {
    const big = BigInt(value.$int);
    return big >= -(2n ** 53n) && big <= 2n ** 53n ? Number(big) : big;
  }
  if ("$bytes" in value) return base64ToBytes(value.$bytes);
  if ("$str" in value) return String.fromCharCode(...value.$str); // UTF-16 code units (lone surrogates)
  if ("$date" in value) return new Date(value.$date);
  if ("$set" in value) return new Set(value.$set.map((item) => fromPy(item, refs)));
  if ("$ref" in value) return refs.get(value.$ref);
  if ("$refField" in value) return refs.get(value.$refField)[value.field];
  if ("$nowPlus" in value) return Math.floor(Date.now() / 1000) + value.$nowPlus;
  if ("$repeat" in value) return value.$repeat.repeat(value.n);
  if ("$bytesOf" in value) return new Uint8Array(value.n).fill(value.$bytesOf);
  if ("$request" in value) return new Request(value.$request, fromPy(value.init ?? {}, refs));
  if ("$response" in value) {
    const init = fromPy(value.init ?? {}, refs);
    return new Response(fromPy(value.$response, refs), init);
  }
  if ("$stream" in value) {
    const chunks = value.$stream.map((item) => fromPy(item, refs));
    return new ReadableStream({
      pull(controller) {
        if (chunks.length) controller.enqueue(chunks.shift());
        else controller.close();
      },
    });
  }
  if ("$dict" in value) { // a dict whose keys would look like tags
    return Object.fromEntries(Object.entries(value.$dict).map(([k, v]) => [k, fromPy(v, refs)]));
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromPy(v, refs)]));
}

// -- JavaScript values to descriptions of what Python gets ---------------------------------------------
function number(value) {
  if (Number.isInteger(value) && Math.abs(value) <= MAX_SAFE) return value === 0 ? 0 : value;
  if (Number.isNaN(value)) return { $float: "nan" };
  if (value === Infinity) return { $float: "inf" };
  if (value === -Infinity) return { $float: "-inf" };
  return { $float: String(value) };
}

function isTagLike(object) {
  return Object.keys(object).some((key) => key.startsWith("$"));
}

async function readStream(stream) {
  const reader = stream.getReader();
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = typeof value === "string" ? new TextEncoder().encode(value) : new Uint8Array(value);
    parts.push(chunk);
    size += chunk.length;
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

function bytesDescription(bytes, type = "memoryview") {
  return { $bytes: bytesToBase64(bytes), type };
}

const R2_FIELDS = ["key", "version", "size", "etag", "httpEtag", "uploaded", "httpMetadata", "customMetadata",
  "range", "storageClass", "ssecKeyMd5"];
const CHECKSUMS = ["md5", "sha1", "sha256", "sha384", "sha512"];

async function describeR2Object(object, readBody) {
  const out = { $type: "body" in object ? "R2ObjectBody" : "R2Object" };
  for (const field of R2_FIELDS) out[field] = await describe(object[field]);
  const sums = {};
  for (const name of CHECKSUMS) sums[name] = await describe(object.checksums[name]);
  out.checksums = sums;
  if ("body" in object && readBody) out.body = bytesDescription(new Uint8Array(await object.arrayBuffer()));
  return out;
}

async function describeCursor(cursor) {
  const rows = [];
  for (const row of cursor) rows.push(await describe(row));
  return {
    $type: "SqlCursor", columnNames: await describe(cursor.columnNames), rows,
    rowsRead: cursor.rowsRead, rowsWritten: cursor.rowsWritten,
  };
}

async function describeResponse(response) {
  const headers = [...response.headers].map(([k, v]) => [k, v]);
  const body = response.body === null ? null : bytesDescription(new Uint8Array(await response.arrayBuffer()), "bytes");
  return { $type: "Response", status: response.status, headers, body };
}

// `read` says whether bodies may be read (false when the value is kept for later operations).
async function describe(value, read = true) {
  if (value === undefined || value === null) return null;
  switch (typeof value) {
    case "boolean":
    case "string":
      return value;
    case "number":
      return number(value);
    case "bigint":
      return { $int: value.toString() };
    case "function":
      return { $type: "function" };
    case "symbol":
      return { $type: "symbol" };
  }
  if (Array.isArray(value)) {
    const out = [];
    for (const item of value) out.push(await describe(item, read));
    return out;
  }
  if (value instanceof Error) return { $error: { name: value.name, message: value.message } };
  if (value instanceof ArrayBuffer) return bytesDescription(new Uint8Array(value));
  if (ArrayBuffer.isView(value)) {
    return bytesDescription(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  }
  if (value instanceof Date) return { $date: value.getTime(), naive: true };
  if (value instanceof Map) {
    const out = {};
    for (const [k, v] of value) out[String(k)] = await describe(v, read);
    return isTagLike(out) ? { $dict: out } : out;
  }
  if (value instanceof Set) {
    const items = [];
    for (const item of value) items.push(await describe(item, read));
    return { $set: items };
  }
  if (value instanceof ReadableStream) return read ? bytesDescription(await readStream(value), "stream") : { $type: "stream" };
  if (value instanceof Response) return read ? await describeResponse(value) : { $type: "Response" };
  if (value instanceof WebSocket) return { $type: "WebSocket", readyState: value.readyState };
  if ("httpEtag" in value && "checksums" in value) return await describeR2Object(value, read);
  if ("rowsRead" in value && "columnNames" in value) {
    return read ? await describeCursor(value) : { $type: "SqlCursor", columnNames: value.columnNames };
  }
  if (typeof value.next === "function" && typeof value[Symbol.iterator] === "function") {
    if (!read) return { $type: "iterator" };
    const items = [];
    for (const item of value) items.push(await describe(item));
    return { $iter: items };
  }
  if (typeof value.uploadId === "string" && typeof value.uploadPart === "function") {
    return { $type: "R2MultipartUpload", key: value.key, uploadId: value.uploadId };
  }
  if (value instanceof Blob) {
    const data = read ? bytesDescription(new Uint8Array(await value.arrayBuffer()), "bytes") : null;
    return { $type: "Blob", size: value.size, type: value.type, data };
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null && value.constructor?.name) {
    return { $type: value.constructor.name }; // a class instance Python would hold as a JsProxy
  }
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = await describe(v, read);
  return isTagLike(out) ? { $dict: out } : out;
}

// -- running operations ----------------------------------------------------------------------------------
// An operation: {on, call, args?, kwargs?, as?} calls a method; {on, get, as?} reads a property.
// `on` names a binding ("KV", "BUCKET", "DB", "QUEUE", "DLQ"), "storage", "sql", "kv" (inside a Durable
// Object), "caches" or "cache" (caches.default), "ws" (makes WebSocketPairs) or "$name" (a kept result).
// Python passes keyword arguments as a trailing options object, so `kwargs` becomes the last argument.
function target(name, scope) {
  if (name.startsWith("$")) return scope.refs.get(name.slice(1));
  if (name === "cache") return caches.default;
  if (name === "caches") return caches;
  if (name in scope.targets) return scope.targets[name];
  return scope.env[name];
}

async function runOp(op, scope) {
  const now = Date.now();
  try {
    if (op.wsPair) return { r: await wsPair(op, scope), t: now };
    if (op.events) return { r: await wsEvents(op, scope), t: now };
    if (op.observe) return { r: observations(op, scope), t: now };
    const on = target(op.on, scope);
    let result;
    if ("get" in op) {
      result = on[op.get];
    } else if (op.chain) {
      // [[method, args], ...]: each call on the previous result (D1: prepare -> bind -> all)
      result = on;
      for (const [method, args, kwargs] of op.chain) {
        const values = args.map((arg) => fromPy(arg, scope.refs));
        if (kwargs) values.push(fromPy(kwargs, scope.refs));
        result = result[method](...values);
        if (result && typeof result.then === "function") result = await result;
      }
    } else {
      const args = (op.args ?? []).map((arg) => fromPy(arg, scope.refs, op.raw));
      if (op.kwargs) args.push(fromPy(op.kwargs, scope.refs, op.raw));
      result = on[op.call](...args);
      if (result instanceof Promise || (result && typeof result.then === "function" && !op.noAwait)) {
        result = await result;
      }
    }
    if (op.as) {
      scope.refs.set(op.as, result);
      return { r: await describe(result, false), t: now };
    }
    return { r: await describe(result), t: now };
  } catch (error) {
    return { r: { $error: { name: error?.name ?? "Error", message: String(error?.message ?? error) } }, t: now };
  }
}

async function runOps(ops, scope) {
  const results = [];
  for (const op of ops) {
    if (op.settle) await settleQueue(op, scope); // a step of the harness, not an operation: no result
    else results.push(await runOp(op, scope));
  }
  return results;
}

// -- WebSockets: pairs made and observed inside the worker ----------------------------------------------
async function wsPair(op, scope) {
  const pair = new WebSocketPair();
  const [client, server] = Object.values(pair);
  for (const [name, socket] of [[`${op.wsPair}.client`, client], [`${op.wsPair}.server`, server]]) {
    const events = [];
    scope.refs.set(name, socket);
    scope.events.set(name, events);
    // A binary message reaches a Python listener as a JsProxy of an ArrayBuffer (not converted).
    socket.addEventListener("message", (event) => events.push({
      type: "message",
      data: typeof event.data === "string" ? event.data : bytesDescription(new Uint8Array(event.data), "ArrayBuffer"),
    }));
    socket.addEventListener("close", (event) => events.push({
      type: "close", code: event.code, reason: event.reason, wasClean: event.wasClean,
    }));
    socket.addEventListener("error", (event) => events.push({ type: "error", message: String(event.message ?? event.error) }));
  }
  return null;
}

async function wsEvents(op, scope) {
  await new Promise((resolve) => setTimeout(resolve, 5));
  const events = scope.events.get(op.events) ?? [];
  const out = events.map((event) => ({ ...event, ...(event.code === undefined ? {} : { code: number(event.code) }) }));
  const socket = scope.refs.get(op.events);
  return { events: out, readyState: socket?.readyState ?? null };
}

// -- Queues: what the consumer saw ---------------------------------------------------------------------
const deliveries = []; // {queue, messages: [{id, body, attempts, timestamp}]} in delivery order

async function settleQueue(op, scope) {
  // Wait out the delays the sequence asked for, then until the consumer has been quiet for a while
  // (Miniflare's broker runs on real timers).
  if (op.waitMs) await new Promise((resolve) => setTimeout(resolve, op.waitMs));
  const quiet = op.quietMs ?? 150;
  const deadline = Date.now() + (op.maxMs ?? 8000);
  let seen = deliveries.length;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    if (deliveries.length !== seen) {
      seen = deliveries.length;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quiet) {
      break;
    }
  }
  return null;
}

// What the consumers saw of one sequence's messages: each message's deliveries in order
// ([queue, attempts, body, id well-formed, timestamp]), and, when asked, the sizes of the batches (only
// meaningful when everything was sent in one sendBatch: otherwise batching depends on timing).
function observations(op) {
  const seq = op.observe;
  const messages = {};
  const batchSizes = [];
  for (const batch of deliveries) {
    const mine = batch.messages.filter((m) => m.seq === seq);
    if (mine.length === 0) continue;
    if (batch.queue !== "dlq") batchSizes.push(mine.length);
    for (const m of mine) {
      const key = String(m.n ?? "?");
      (messages[key] ??= []).push([batch.queue, m.attempts, m.body, m.idOk, m.timestamp]);
    }
  }
  return op.batches ? { messages, batchSizes } : { messages };
}

// A message body says what the consumer does on each attempt: {seq, n, plan: ["retry", "ack", ...]}.
// Plans: "ack", "retry", "retry:<delay>", "none" (left to the outcome of the batch), "throw" (the handler
// throws after handling the batch), "retryAll", "ackAll".
async function consume(batch) {
  const seen = [];
  let throwAfter = false;
  let batchAction = null;
  for (const message of batch.messages) {
    const body = message.body;
    const seq = body && typeof body === "object" ? body.seq : undefined;
    seen.push({
      seq, n: body && typeof body === "object" ? body.n : undefined, body: await describe(body), attempts: message.attempts,
      idOk: /^[0-9a-f]{32}$/.test(message.id), timestamp: await describe(message.timestamp),
    });
    const plan = body && Array.isArray(body.plan) ? body.plan : [];
    const action = plan[Math.min(message.attempts, plan.length) - 1] ?? "none";
    if (action === "ack") message.ack();
    else if (action === "retry") message.retry();
    else if (action.startsWith("retry:")) message.retry({ delaySeconds: Number(action.slice(6)) });
    else if (action === "throw") throwAfter = true;
    else if (action === "retryAll" || action === "ackAll") batchAction = action;
  }
  deliveries.push({ queue: batch.queue, messages: seen });
  if (batchAction === "retryAll") batch.retryAll();
  if (batchAction === "ackAll") batch.ackAll();
  if (throwAfter) throw new Error("consumer failed on purpose");
}

// -- entry points --------------------------------------------------------------------------------------
function scopeFor(env, targets = {}) {
  return { env, targets, refs: new Map(), events: new Map() };
}

// Runs one sequence: its operations in order, in a fresh scope. Durable Object sequences run inside an
// object named after the sequence, so every sequence starts from empty storage.
async function runSequence(sequence, env) {
  if (sequence.object) {
    const namespace = env[sequence.object];
    const stub = namespace.get(namespace.idFromName(sequence.id));
    return await stub.run(sequence.ops);
  }
  await reset(sequence, env);
  return await runOps(sequence.ops, scopeFor(env));
}

const RESET_ROWID = [
  "CREATE TABLE conformance_reset (x)",
  "INSERT INTO conformance_reset (rowid, x) VALUES (0, 0)",
  "DROP TABLE conformance_reset",
];

async function reset(sequence, env) {
  const binding = sequence.binding;
  if (binding === "kv") {
    let cursor;
    do {
      const page = await env.KV.list({ cursor });
      await Promise.all(page.keys.map((key) => env.KV.delete(key.name)));
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
  } else if (binding === "r2") {
    let listed;
    do {
      listed = await env.BUCKET.list({ limit: 1000 });
      if (listed.objects.length) await env.BUCKET.delete(listed.objects.map((o) => o.key));
    } while (listed.truncated);
  } else if (binding === "d1") {
    const tables = await env.DB.prepare(
      "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'"
    ).all();
    const statements = [env.DB.prepare("PRAGMA defer_foreign_keys = ON")];
    for (const { type, name } of tables.results) {
      statements.push(env.DB.prepare(`DROP ${type === "view" ? "VIEW" : "TABLE"} IF EXISTS "${name.replaceAll('"', '""')}"`));
    }
    // last_insert_rowid() is the connection's: set it to 0 so each sequence starts alike
    for (const sql of RESET_ROWID) statements.push(env.DB.prepare(sql));
    await env.DB.batch(statements);
  } else if (binding === "cache") {
    // Cache sequences use URLs unique to the sequence.
  }
}

class SequenceObject extends DurableObject {
  async run(ops) {
    const state = this.ctx;
    // Getters: on an object that is not SQLite-backed, reading `sql` or `kv` throws, and the operation
    // that named it reports that error, as on Cloudflare.
    const targets = {
      storage: state.storage,
      get sql() { return state.storage.sql; },
      get kv() { return state.storage.kv; },
    };
    return await runOps(ops, scopeFor(this.env, targets));
  }
}

export class SqlObject extends SequenceObject {}
export class KvObject extends SequenceObject {}
export class Recorder extends DurableObject {}

export default {
  async fetch(request, env) {
    const { sequences } = await request.json();
    const out = [];
    for (const sequence of sequences) {
      try {
        out.push({ id: sequence.id, results: await runSequence(sequence, env) });
      } catch (error) {
        out.push({ id: sequence.id, failed: `${error?.name}: ${error?.message}` });
      }
    }
    return Response.json(out);
  },
  async queue(batch) {
    await consume(batch);
  },
};
