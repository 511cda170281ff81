"""The explorer's page: one HTML document with its style and script inline (no build step, nothing loaded
from the internet), talking to the JSON API beside it. Views are chosen by the URL's hash
(``#kv``, ``#r2``, ``#d1``, ``#queues``, ``#do``, ``#workflows``, ``#vectorize``, ``#cache``, ``#traces``,
``#activity``). Traces and a workflow instance's steps are drawn as waterfalls (one bar per span or step attempt
on a shared time axis)."""

PAGE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pyflare explorer</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
:root { --fg:#1d1d1f; --muted:#6e6e73; --line:#e3e3e8; --accent:#f38020; --bg:#fafafa; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, sans-serif; color:var(--fg); background:var(--bg); display:flex; min-height:100vh; }
nav { width:190px; background:#fff; border-right:1px solid var(--line); padding:14px 0; flex-shrink:0; }
nav h1 { font-size:15px; margin:0 16px 14px; } nav h1 span { color:var(--accent); }
nav a { display:block; padding:7px 16px; color:var(--fg); text-decoration:none; }
nav a.active { background:#fff4ea; border-left:3px solid var(--accent); padding-left:13px; font-weight:600; }
main { flex:1; padding:18px 26px; overflow:auto; }
h2 { margin:0 0 12px; font-size:18px; } h3 { font-size:15px; margin:18px 0 8px; }
table { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line); margin-bottom:14px; }
th, td { text-align:left; padding:6px 9px; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#f4f4f6; font-weight:600; font-size:12px; color:var(--muted); }
td.mono, .mono { font-family: ui-monospace, monospace; font-size:12px; white-space:pre-wrap; word-break:break-all; }
button, select, input, textarea { font:inherit; }
button { border:1px solid var(--line); background:#fff; border-radius:5px; padding:4px 10px; cursor:pointer; }
button.primary { background:var(--accent); color:#fff; border-color:var(--accent); }
button.danger { color:#b00020; }
input, textarea, select { border:1px solid var(--line); border-radius:5px; padding:5px 7px; background:#fff; }
textarea { width:100%; min-height:80px; font-family:ui-monospace, monospace; font-size:12px; }
.bar { display:flex; gap:8px; align-items:center; margin-bottom:12px; flex-wrap:wrap; }
.muted { color:var(--muted); } .error { color:#b00020; white-space:pre-wrap; }
.chip { display:inline-block; padding:1px 7px; border-radius:10px; background:#eef; font-size:12px; margin-right:4px; }
.status-2 { color:#137333; } .status-4 { color:#b26a00; } .status-5 { color:#b00020; }
.card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:12px 14px; margin-bottom:12px; }
.waterfall { background:#fff; border:1px solid var(--line); margin-bottom:12px; }
.wf-row { display:flex; border-bottom:1px solid #f0f0f3; cursor:pointer; }
.wf-row:hover, .wf-row.selected { background:#fff4ea; }
.wf-label { width:36%; flex-shrink:0; font:12px ui-monospace, monospace; padding:3px 8px; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
.wf-row.failed .wf-label { color:#b00020; }
.wf-row.failed .wf-bar { background:#e03131 !important; }
.wf-track { position:relative; flex:1; height:22px; border-left:1px solid var(--line); }
.wf-bar { position:absolute; top:5px; height:12px; border-radius:2px; min-width:2px; }
.wf-time { position:absolute; top:3px; font-size:11px; color:var(--muted); white-space:nowrap; }
.wf-axis { display:flex; justify-content:space-between; font-size:11px; color:var(--muted); padding:2px 8px 2px 36%; }
.level-error, .outcome-bad { color:#b00020; } .level-warn { color:#b26a00; }
tr.picked td { background:#fff4ea; }
</style></head>
<body>
<nav>
  <h1><span>&#9650;</span> pyflare explorer</h1>
  <a href="#workers" data-view="workers">Workers</a>
  <a href="#kv" data-view="kv">KV</a>
  <a href="#r2" data-view="r2">R2</a>
  <a href="#d1" data-view="d1">D1</a>
  <a href="#queues" data-view="queues">Queues</a>
  <a href="#do" data-view="do">Durable Objects</a>
  <a href="#workflows" data-view="workflows">Workflows</a>
  <a href="#vectorize" data-view="vectorize">Vectorize</a>
  <a href="#cache" data-view="cache">Cache</a>
  <a href="#traces" data-view="traces">Traces</a>
  <a href="#activity" data-view="activity">Requests &amp; logs</a>
</nav>
<main id="main"></main>
<script>
"use strict";
const API = location.pathname.replace(/\/$/, "") + "/api";
const main = document.getElementById("main");
const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
const show = (v) => typeof v === "string" ? v : JSON.stringify(v, null, 1);
const when = (ms) => ms ? new Date(ms).toISOString().replace("T", " ").replace(".000Z", "Z") : "";
let poller = null;

async function call(path, options = {}) {
  const response = await fetch(API + path, options);
  const type = response.headers.get("content-type") || "";
  if (!type.includes("json")) { if (!response.ok) throw new Error(response.status + " " + await response.text()); return response; }
  const body = await response.json();
  if (!body.success) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body;
}
const post = (path, data, method = "POST") => call(path, {method, headers: {"content-type": "application/json"}, body: JSON.stringify(data)});

function render(html) { main.innerHTML = html; }
function fail(error) { main.insertAdjacentHTML("beforeend", `<p class="error" id="error">${esc(error.message || error)}</p>`); }
function table(columns, rows, id) {
  return `<table ${id ? `id="${id}"` : ""}><thead><tr>${columns.map((c) => `<th>${esc(c)}</th>`).join("")}</tr></thead><tbody>` +
    (rows.length ? rows.map((r) => `<tr>${r.map((cell) => `<td class="mono">${cell}</td>`).join("")}</tr>`).join("")
                 : `<tr><td colspan="${columns.length}" class="muted">nothing here</td></tr>`) + "</tbody></table>";
}
const KIND_COLORS = {http: "#f38020", kv: "#2c7be5", d1: "#7b4dd6", r2: "#0ca678", queue: "#d6336c", do: "#2f9e44",
  do_storage: "#74b816", cache: "#868e96", fetch: "#e8590c", service: "#1098ad", jsrpc: "#1098ad", workflow: "#ae3ec9",
  scheduled: "#f59f00", alarm: "#f59f00", websocket: "#5c7cfa", tail: "#495057", ratelimit: "#495057", step: "#ae3ec9",
  sleep: "#ced4da", waitForEvent: "#ced4da"};
const fmtMs = (ms) => ms == null ? "running" : ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : ms < 1000 ? `${ms.toFixed(ms < 10 ? 2 : 1)} ms` : `${(ms / 1000).toFixed(2)} s`;
// rows: [{label, depth, offset (ms from the first row's start), duration (ms, null while running), kind, failed, title}]
function waterfall(rows, id) {
  const total = Math.max(0.001, ...rows.map((r) => r.offset + (r.duration || 0)));
  return `<div class="waterfall" ${id ? `id="${id}"` : ""}><div class="wf-axis"><span>0</span><span>${esc(fmtMs(total / 2))}</span><span>${esc(fmtMs(total))}</span></div>` +
    rows.map((r, i) => {
      const left = r.offset / total * 100, width = Math.max(0.2, (r.duration || 0) / total * 100);
      return `<div class="wf-row${r.failed ? " failed" : ""}" data-index="${i}" title="${esc(r.title || r.label)}">` +
        `<div class="wf-label" style="padding-left:${8 + r.depth * 14}px">${esc(r.label)}</div><div class="wf-track">` +
        `<div class="wf-bar" style="left:${left}%;width:${width}%;background:${KIND_COLORS[r.kind] || "#adb5bd"}"></div>` +
        // the duration after the bar, or before it when the bar ends near the right edge
        `<span class="wf-time" style="${left + width > 85 ? `right:calc(${100 - left}% + 4px)` : `left:calc(${left + width}% + 4px)`}">${esc(fmtMs(r.duration))}</span></div></div>`;
    }).join("") + `</div>`;
}
// A workflow instance's steps on one time axis: one row per attempt of a step (failed ones in red, with the
// retry wait before the next), and one per sleep or wait for an event.
function stepTimeline(info) {
  const rows = [];
  for (const s of info.steps || []) {
    const attempts = s.attempts || [];
    if (attempts.length) {
      attempts.forEach((a, i) => rows.push({label: `${s.name} · attempt ${i + 1}`, depth: 0, start: a.start, end: a.end,
        kind: "step", failed: a.success === false, title: a.error ? `${a.error.name}: ${a.error.message}` : s.name}));
      if (s.retryAt) rows.push({label: `${s.name} · retry wait`, depth: 1, start: attempts[attempts.length - 1].end, end: s.retryAt, kind: "sleep"});
    } else if (s.start) {
      rows.push({label: `${s.name} · ${s.type || "step"}`, depth: 0, start: s.start, end: s.end || s.wakeAt || s.timeoutAt,
        kind: s.type || "step", failed: !!s.error});
    }
  }
  if (!rows.length) return "";
  const first = Math.min(...rows.map((r) => r.start));
  return `<h3>Timeline</h3>` + waterfall(rows.map((r) => ({...r, offset: r.start - first, duration: r.end ? r.end - r.start : null})), "wf-timeline");
}
function spanTree(spans) {
  const children = {}, known = new Set(spans.map((s) => s.span_id));
  for (const s of spans) { const parent = s.parent_id && known.has(s.parent_id) ? s.parent_id : ""; (children[parent] = children[parent] || []).push(s); }
  const ordered = [], visit = (parent, depth) => { for (const s of (children[parent] || []).sort((a, b) => a.start_ms - b.start_ms)) { ordered.push([s, depth]); visit(s.span_id, depth + 1); } };
  visit("", 0);
  return ordered;
}

function on(selector, event, handler) { main.querySelectorAll(selector).forEach((el) => el.addEventListener(event, (e) => handler(el, e))); }

const views = {
  async workers() {
    const {result} = await call("/local/workers");
    render(`<h2>Workers</h2>` + result.map((w) => `<div class="card"><h3>${esc(w.name)}</h3><div class="muted mono">${esc(w.main)}</div>` +
      table(["binding", "kind", "resource", "local"], w.bindings.map((b) => [esc(b.name), esc(b.kind), esc(b.resource || ""),
        b.emulated ? "yes" : `<span class="muted">not emulated</span>`])) +
      (w.queue_consumers.length ? `<div>consumes: ${w.queue_consumers.map((q) => `<span class="chip">${esc(q)}</span>`).join("")}</div>` : "") +
      (w.crons.length ? `<div>crons: ${w.crons.map((c) => `<span class="chip">${esc(c)}</span>`).join("")}</div>` : "") + `</div>`).join(""));
  },

  async kv(ns) {
    const {result: spaces} = await call("/storage/kv/namespaces");
    ns = ns || (spaces[0] && spaces[0].id);
    let html = `<h2>KV</h2><div class="bar"><select id="kv-ns">${spaces.map((s) => `<option ${s.id === ns ? "selected" : ""}>${esc(s.id)}</option>`).join("")}</select>`;
    if (!ns) return render(html + `</div><p class="muted">No KV namespaces in the config.</p>`);
    const prefix = sessionStorage.getItem("kv-prefix") || "";
    html += `<input id="kv-prefix" placeholder="prefix" value="${esc(prefix)}"><button id="kv-filter">List</button></div>`;
    const {result: keys} = await call(`/storage/kv/namespaces/${encodeURIComponent(ns)}/keys?prefix=${encodeURIComponent(prefix)}`);
    const rows = [];
    for (const k of keys) {
      const value = await (await call(`/storage/kv/namespaces/${encodeURIComponent(ns)}/values/${encodeURIComponent(k.name)}`)).text();
      rows.push([esc(k.name), esc(value), esc(k.metadata === undefined ? "" : show(k.metadata)), esc(k.expiration ? when(k.expiration * 1000) : ""),
        `<button class="kv-edit" data-key="${esc(k.name)}">Edit</button> <button class="danger kv-delete" data-key="${esc(k.name)}">Delete</button>`]);
    }
    html += table(["key", "value", "metadata", "expires", ""], rows, "kv-keys");
    html += `<div class="card"><h3>Put a key</h3><div class="bar"><input id="kv-key" placeholder="key"><input id="kv-ttl" placeholder="TTL seconds (optional)" size="18"></div>
      <textarea id="kv-value" placeholder="value"></textarea><div class="bar"><input id="kv-meta" placeholder='metadata JSON (optional)' size="40"><button class="primary" id="kv-put">Save</button></div></div>`;
    render(html);
    const base = `/storage/kv/namespaces/${encodeURIComponent(ns)}`;
    document.getElementById("kv-ns").onchange = (e) => views.kv(e.target.value).catch(fail);
    document.getElementById("kv-filter").onclick = () => { sessionStorage.setItem("kv-prefix", document.getElementById("kv-prefix").value); views.kv(ns).catch(fail); };
    on(".kv-delete", "click", async (el) => { await call(`${base}/values/${encodeURIComponent(el.dataset.key)}`, {method: "DELETE"}); views.kv(ns).catch(fail); });
    on(".kv-edit", "click", async (el) => {
      document.getElementById("kv-key").value = el.dataset.key;
      document.getElementById("kv-value").value = await (await call(`${base}/values/${encodeURIComponent(el.dataset.key)}`)).text();
    });
    document.getElementById("kv-put").onclick = async () => {
      const key = document.getElementById("kv-key").value, ttl = document.getElementById("kv-ttl").value, meta = document.getElementById("kv-meta").value;
      const query = new URLSearchParams(); if (ttl) query.set("expiration_ttl", ttl); if (meta) query.set("metadata", meta);
      try { await call(`${base}/values/${encodeURIComponent(key)}?${query}`, {method: "PUT", body: document.getElementById("kv-value").value}); views.kv(ns).catch(fail); }
      catch (error) { fail(error); }
    };
  },

  async r2(bucket, prefix = "") {
    const {result} = await call("/r2/buckets");
    bucket = bucket || (result.buckets[0] && result.buckets[0].name);
    let html = `<h2>R2</h2><div class="bar"><select id="r2-bucket">${result.buckets.map((b) => `<option ${b.name === bucket ? "selected" : ""}>${esc(b.name)}</option>`).join("")}</select>`;
    if (!bucket) return render(html + `</div><p class="muted">No R2 buckets in the config.</p>`);
    const info = result.buckets.find((b) => b.name === bucket);
    html += `<span class="muted">created <span id="r2-created">${esc(info.creation_date || "")}</span></span> `;
    html += `<span class="mono" id="r2-prefix">/${esc(prefix)}</span>${prefix ? ` <button id="r2-up">Up</button>` : ""}</div>`;
    const base = `/r2/buckets/${encodeURIComponent(bucket)}/objects`;
    const listed = await call(`${base}?delimiter=/&prefix=${encodeURIComponent(prefix)}`);
    const rows = listed.result_info.delimited.map((p) => [`<a href="#" class="r2-folder" data-prefix="${esc(p)}">${esc(p)}</a>`, "", "", "", ""]);
    for (const o of listed.result) rows.push([esc(o.key), String(o.size), esc(o.http_metadata.contentType || ""), esc(o.last_modified),
      `<a href="${API}${base}/${o.key.split("/").map(encodeURIComponent).join("/")}" download>Download</a> <button class="danger r2-delete" data-key="${esc(o.key)}">Delete</button>`]);
    html += table(["key", "size", "type", "uploaded", ""], rows, "r2-objects");
    html += `<div class="card"><h3>Upload</h3><div class="bar"><input type="file" id="r2-file"><input id="r2-key" placeholder="key (default: prefix + file name)" size="40"><button class="primary" id="r2-upload">Upload</button></div></div>`;
    render(html);
    document.getElementById("r2-bucket").onchange = (e) => views.r2(e.target.value).catch(fail);
    const up = document.getElementById("r2-up");
    if (up) up.onclick = () => views.r2(bucket, prefix.replace(/[^/]*\/$/, "")).catch(fail);
    on(".r2-folder", "click", (el, e) => { e.preventDefault(); views.r2(bucket, el.dataset.prefix).catch(fail); });
    on(".r2-delete", "click", async (el) => { await call(`${base}/${el.dataset.key.split("/").map(encodeURIComponent).join("/")}`, {method: "DELETE"}); views.r2(bucket, prefix).catch(fail); });
    document.getElementById("r2-upload").onclick = async () => {
      const file = document.getElementById("r2-file").files[0];
      if (!file) return fail("choose a file first");
      const key = document.getElementById("r2-key").value || prefix + file.name;
      try { await call(`${base}/${key.split("/").map(encodeURIComponent).join("/")}`, {method: "PUT", body: file, headers: {"content-type": file.type || "application/octet-stream"}}); views.r2(bucket, prefix).catch(fail); }
      catch (error) { fail(error); }
    };
  },

  async d1(db) {
    const {result: dbs} = await call("/d1/database");
    db = db || (dbs[0] && dbs[0].name);
    let html = `<h2>D1</h2><div class="bar"><select id="d1-db">${dbs.map((d) => `<option ${d.name === db ? "selected" : ""}>${esc(d.name)}</option>`).join("")}</select></div>`;
    if (!db) return render(html + `<p class="muted">No D1 databases in the config.</p>`);
    const {result: info} = await call(`/d1/database/${encodeURIComponent(db)}`);
    html += table(["table", "columns", "rows"], info.tables.map((t) => [`<a href="#" class="d1-table" data-table="${esc(t.name)}">${esc(t.name)}</a>`, esc(t.columns.join(", ")), String(t.rows)]), "d1-tables");
    html += `<div class="card"><h3>SQL console</h3><textarea id="d1-sql">SELECT name FROM sqlite_master WHERE type = 'table';</textarea><div class="bar"><button class="primary" id="d1-run">Run</button></div><div id="d1-result"></div></div>`;
    render(html);
    document.getElementById("d1-db").onchange = (e) => views.d1(e.target.value).catch(fail);
    const run = async () => {
      const out = document.getElementById("d1-result");
      try {
        const {result} = await post(`/d1/database/${encodeURIComponent(db)}/raw`, {sql: document.getElementById("d1-sql").value});
        out.innerHTML = result.map((r) => r.results.columns.length ? table(r.results.columns, r.results.rows.map((row) => row.map((c) => esc(show(c))))) :
          `<p class="muted">${r.meta.changes} row(s) changed</p>`).join("");
      } catch (error) { out.innerHTML = `<p class="error" id="error">${esc(error.message)}</p>`; }
    };
    document.getElementById("d1-run").onclick = run;
    on(".d1-table", "click", (el, e) => { e.preventDefault(); document.getElementById("d1-sql").value = `SELECT * FROM "${el.dataset.table}" LIMIT 100;`; run(); });
  },

  async vectorize() {
    const {result: indexes} = await call("/vectorize/v2/indexes");
    let html = `<h2>Vectorize</h2>`;
    if (!indexes.length) return render(html + `<p class="muted">No Vectorize indexes in local state.</p>`);
    html += table(["index", "dimensions", "metric", "vectors", "metadata indexes", "bindings", "description"], indexes.map((i) => [
      esc(i.name), String(i.config.dimensions), esc(i.config.metric), String(i.vectorCount),
      esc(Object.entries(i.metadataIndexes).map(([p, t]) => p + " (" + t + ")").join(", ")), esc(i.bindings.join(", ")),
      esc(i.description)]), "vectorize-indexes");
    render(html);
  },

  async queues(selected) {
    const {result: queues} = await call("/queues");
    selected = selected || (queues[0] && queues[0].queue_name);
    let html = `<h2>Queues</h2>` + table(["queue", "messages", "producers", "consumers", "dead-letter queue of"], queues.map((q) => [
      `<a href="#" class="queue" data-queue="${esc(q.queue_name)}">${esc(q.queue_name)}</a>`, String(q.messages),
      esc(q.producers.map((p) => p.script + "." + p.binding).join(", ")), esc(q.consumers.map((c) => c.script).join(", ")),
      esc(q.dead_letter_queue_of.join(", "))]), "queues");
    if (selected) {
      const {result: messages} = await call(`/queues/${encodeURIComponent(selected)}/messages`);
      const isDlq = (queues.find((q) => q.queue_name === selected) || {dead_letter_queue_of: []}).dead_letter_queue_of.length > 0;
      html += `<h3>Messages on <span class="mono" id="queue-name">${esc(selected)}</span></h3>` + table(["id", "body", "attempts", "sent", ""], messages.map((m) => [
        esc(m.id), esc(show(m.body)), String(m.attempts), esc(when(m.timestamp)),
        (isDlq ? `<button class="primary redrive" data-id="${esc(m.id)}">Redrive</button> ` : "") + `<button class="danger drop" data-id="${esc(m.id)}">Delete</button>`]), "queue-messages");
      html += `<div class="card"><h3>Send a message</h3><textarea id="queue-body">{"hello": "world"}</textarea><div class="bar"><button class="primary" id="queue-send">Send</button></div></div>`;
    }
    render(html);
    on(".queue", "click", (el, e) => { e.preventDefault(); views.queues(el.dataset.queue).catch(fail); });
    const base = `/queues/${encodeURIComponent(selected)}/messages`;
    on(".redrive", "click", async (el) => { try { await call(`${base}/${el.dataset.id}/redrive`, {method: "POST"}); views.queues(selected).catch(fail); } catch (error) { fail(error); } });
    on(".drop", "click", async (el) => { try { await call(`${base}/${el.dataset.id}`, {method: "DELETE"}); views.queues(selected).catch(fail); } catch (error) { fail(error); } });
    const send = document.getElementById("queue-send");
    if (send) send.onclick = async () => {
      try { await post(base, {body: JSON.parse(document.getElementById("queue-body").value)}); views.queues(selected).catch(fail); } catch (error) { fail(error); }
    };
  },

  async do(ns, objectId) {
    const {result: spaces} = await call("/workers/durable_objects/namespaces");
    ns = ns || (spaces[0] && spaces[0].id);
    let html = `<h2>Durable Objects</h2><div class="bar"><select id="do-ns">${spaces.map((s) => `<option value="${esc(s.id)}" ${s.id === ns ? "selected" : ""}>${esc(s.class)} (${esc(s.script)})</option>`).join("")}</select></div>`;
    if (!ns) return render(html + `<p class="muted">No Durable Object bindings in the config.</p>`);
    const {result: objects} = await call(`/workers/durable_objects/namespaces/${encodeURIComponent(ns)}/objects`);
    html += table(["name", "id", "alarm", "live", "WebSockets"], objects.map((o) => [esc(o.name || ""),
      `<a href="#" class="do-object" data-id="${esc(o.id)}">${esc(o.id)}</a>`, esc(when(o.alarm)), o.live ? "yes" : "no", String(o.websockets)]), "do-objects");
    if (objectId) {
      const {result: detail} = await call(`/workers/durable_objects/namespaces/${encodeURIComponent(ns)}/objects/${objectId}`);
      const states = ["connecting", "open", "closing", "closed"];
      html += `<div class="card" id="do-detail"><h3 class="mono">${detail.name ? `<span id="do-name">${esc(detail.name)}</span> &middot; ` : ""}${esc(objectId)}</h3><p>alarm: <span id="do-alarm">${esc(when(detail.alarm) || "none")}</span> &middot; ${detail.size} bytes &middot; tables: ${esc(detail.tables.join(", ") || "none")}</p>` +
        table(["key", "value"], detail.keys.map((k) => [esc(k.key), esc(show(k.value))]), "do-keys") +
        `<h3>WebSockets</h3>` + (detail.auto_response ? `<p>auto-response: <span class="mono">${esc(detail.auto_response.request)} &rarr; ${esc(detail.auto_response.response)}</span></p>` : "") +
        table(["state", "tags", "attachment", "last auto-response"], detail.websockets.map((w) => [esc(states[w.ready_state] || w.ready_state),
          w.tags.map((tag) => `<span class="chip">${esc(tag)}</span>`).join(""), esc(w.attachment === null ? "" : show(w.attachment)),
          esc(w.auto_response_timestamp || "")]), "do-websockets") +
        `<h3>SQL</h3><textarea id="do-sql">SELECT * FROM sqlite_master;</textarea><div class="bar"><button class="primary" id="do-run">Run</button></div><div id="do-result"></div></div>`;
    }
    render(html);
    document.getElementById("do-ns").onchange = (e) => views.do(e.target.value).catch(fail);
    on(".do-object", "click", (el, e) => { e.preventDefault(); views.do(ns, el.dataset.id).catch(fail); });
    const run = document.getElementById("do-run");
    if (run) run.onclick = async () => {
      const out = document.getElementById("do-result");
      try {
        const {result} = await post(`/workers/durable_objects/namespaces/${encodeURIComponent(ns)}/query`, {objectId, sql: document.getElementById("do-sql").value});
        out.innerHTML = result.columns.length ? table(result.columns, result.rows.map((row) => row.map((c) => esc(show(c))))) : `<p class="muted">done</p>`;
      } catch (error) { out.innerHTML = `<p class="error" id="error">${esc(error.message)}</p>`; }
    };
  },

  async workflows(name, instanceId) {
    let flows;
    try { flows = (await call("/workflows")).result; } catch (error) { flows = []; }
    name = name || (flows[0] && flows[0].name);
    let html = `<h2>Workflows</h2><div class="bar"><select id="wf-name">${flows.map((f) => `<option ${f.name === name ? "selected" : ""}>${esc(f.name)}</option>`).join("")}</select></div>`;
    if (!name) return render(html + `<p class="muted">No workflows in the config.</p>`);
    const {result: instances} = await call(`/workflows/${encodeURIComponent(name)}/instances`);
    html += table(["instance", "status", "created"], instances.map((i) => [`<a href="#" class="wf-instance" data-id="${esc(i.id)}">${esc(i.id)}</a>`, esc(i.status), esc(i.created_on || "")]), "wf-instances");
    if (instanceId) {
      const {result: info} = await call(`/workflows/${encodeURIComponent(name)}/instances/${encodeURIComponent(instanceId)}`);
      html += `<div class="card" id="wf-detail"><h3>${esc(instanceId)}: <span id="wf-status">${esc(info.status)}</span></h3>` +
        (info.error ? `<p class="error">${esc(show(info.error))}</p>` : "") +
        (info.output !== undefined && info.output !== null ? `<p>output: <span class="mono">${esc(show(info.output))}</span></p>` : "") +
        table(["step", "type", "attempts", "output / error", "start", "end"], (info.steps || []).map((s) => [esc(s.name), esc(s.type || "step"),
          String((s.attempts || []).length || ""), esc(show(s.error || s.output || "")), esc(when(s.start)), esc(when(s.end))]), "wf-steps") +
        stepTimeline(info) +
        `<div class="bar">${["pause", "resume", "terminate", "restart"].map((a) => `<button class="wf-action" data-action="${a}">${a}</button>`).join("")}
         <input id="wf-event-type" placeholder="event type"><input id="wf-event-payload" placeholder='payload JSON' value="{}"><button id="wf-send">Send event</button></div></div>`;
    }
    render(html);
    document.getElementById("wf-name").onchange = (e) => views.workflows(e.target.value).catch(fail);
    on(".wf-instance", "click", (el, e) => { e.preventDefault(); views.workflows(name, el.dataset.id).catch(fail); });
    const base = `/workflows/${encodeURIComponent(name)}/instances/${encodeURIComponent(instanceId || "")}`;
    on(".wf-action", "click", async (el) => { try { await post(`${base}/status`, {status: el.dataset.action}, "PATCH"); views.workflows(name, instanceId).catch(fail); } catch (error) { fail(error); } });
    const send = document.getElementById("wf-send");
    if (send) send.onclick = async () => {
      try { await post(`${base}/events/${encodeURIComponent(document.getElementById("wf-event-type").value)}`, JSON.parse(document.getElementById("wf-event-payload").value || "null"));
            views.workflows(name, instanceId).catch(fail); } catch (error) { fail(error); }
    };
  },

  async traces(traceId) {
    const filters = JSON.parse(sessionStorage.getItem("trace-filters") || "{}");
    const {result: workers} = await call("/local/workers");
    const select = (id, label, options, value) => `<label class="muted">${label} <select id="${id}">` +
      options.map(([v, text]) => `<option value="${esc(v)}" ${v === (value || "") ? "selected" : ""}>${esc(text)}</option>`).join("") + `</select></label>`;
    let html = `<h2>Traces</h2><div class="bar">` +
      select("tr-worker", "worker", [["", "any"], ...workers.map((w) => [w.name, w.name])], filters.worker) +
      select("tr-trigger", "event", [["", "any"], ...["fetch", "scheduled", "queue", "alarm", "jsrpc", "websocket", "workflow", "email", "tail"].map((t) => [t, t])], filters.trigger) +
      select("tr-outcome", "outcome", [["", "any"], ["ok", "ok"], ["error", "error"], ["canceled", "canceled"]], filters.outcome) +
      `<input id="tr-status" size="5" placeholder="status" value="${esc(filters.status || "")}">` +
      select("tr-window", "since", [["", "always"], ["300000", "5 min"], ["3600000", "1 hour"], ["86400000", "1 day"]], filters.window) +
      `<input id="tr-search" placeholder="search logs, spans, URLs" value="${esc(filters.search || "")}" size="26">` +
      `<button class="primary" id="tr-filter">Filter</button><button id="tr-refresh">Refresh</button><button class="danger" id="tr-clear">Clear all</button></div>`;
    const query = new URLSearchParams();
    for (const key of ["worker", "trigger", "outcome", "status", "search"]) if (filters[key]) query.set(key, filters[key]);
    if (filters.window) query.set("since", String(Date.now() - Number(filters.window)));
    query.set("limit", "200");
    const {result: list} = await call(`/local/traces?${query}`);
    html += table(["time", "worker", "event", "name", "status", "outcome", "duration", "spans", "logs"], list.map((t) => [
      esc(when(t.start_ms).replace(/\.\d+Z$/, "Z")), esc(t.workers || t.worker), esc(t.trigger), `<a href="#traces/${encodeURIComponent(t.trace_id)}" class="tr-open" data-id="${esc(t.trace_id)}">${esc(t.name)}</a>`,
      t.status ? `<span class="status-${String(t.status)[0]}">${t.status}</span>` : "", `<span class="${t.outcome === "ok" ? "" : "outcome-bad"}">${esc(t.outcome)}</span>`,
      esc(fmtMs(t.duration_ms)), String(t.span_count), String(t.log_count)]), "tr-list");
    if (traceId) {
      const {result: trace} = await call(`/local/traces/${encodeURIComponent(traceId)}`);
      const ordered = spanTree(trace.spans), root = ordered.length ? ordered[0][0] : null, start = root ? root.start_ms : 0;
      const rows = ordered.map(([s, depth]) => ({label: (s.worker && root && s.worker !== root.worker && "cloudflare.handler_type" in s.attributes ? `${s.worker}: ` : "") + s.name,
        depth, offset: s.start_ms - start, duration: s.duration_ms, kind: s.kind, failed: s.outcome && s.outcome !== "ok", title: s.error || s.name}));
      html += `<div class="card" id="tr-detail"><h3>${esc(root ? root.name : traceId)} <span class="muted">${esc(root ? root.worker : "")}` +
        ` · ${esc(root && root.attributes["cloudflare.handler_type"])} · ${esc(root && root.outcome)} · ${esc(fmtMs(root && root.duration_ms))}</span></h3>` +
        `<div class="muted mono">trace ${esc(traceId)}</div>` + waterfall(rows, "tr-waterfall") +
        `<div id="tr-attributes"></div><h3>Logs</h3>` +
        table(["at", "level", "message", "span"], trace.logs.map((l) => [esc(`+${fmtMs(l.ts_ms - start)}`), `<span class="level-${esc(l.level)}">${esc(l.level)}</span>`,
          esc(l.message), esc(l.operation || "")]), "tr-logs") + `</div>`;
      render(html);
      const showSpan = (index) => {
        const [s] = ordered[index];
        main.querySelectorAll(".wf-row").forEach((row) => row.classList.toggle("selected", Number(row.dataset.index) === index));
        document.getElementById("tr-attributes").innerHTML = `<h3>${esc(s.name)} <span class="muted">${esc(s.kind)} · ${esc(fmtMs(s.duration_ms))}` +
          `${s.error ? ` · <span class="error">${esc(s.error)}</span>` : ""}</span></h3>` +
          table(["attribute", "value"], Object.entries(s.attributes).map(([k, v]) => [esc(k), esc(show(v))]), "tr-span-attributes");
      };
      on(".wf-row", "click", (el) => showSpan(Number(el.dataset.index)));
      if (ordered.length) showSpan(0);
      main.querySelectorAll("#tr-list tr").forEach((tr) => tr.classList.toggle("picked", !!tr.querySelector(`a[data-id="${CSS.escape(traceId)}"]`)));
    } else {
      render(html + (list.length ? `<p class="muted">Pick a trace to see its spans and logs.</p>` : ""));
    }
    const read = () => ({worker: document.getElementById("tr-worker").value, trigger: document.getElementById("tr-trigger").value,
      outcome: document.getElementById("tr-outcome").value, status: document.getElementById("tr-status").value.trim(),
      window: document.getElementById("tr-window").value, search: document.getElementById("tr-search").value.trim()});
    document.getElementById("tr-filter").onclick = () => { sessionStorage.setItem("trace-filters", JSON.stringify(read())); location.hash = "#traces"; views.traces().catch(fail); };
    document.getElementById("tr-refresh").onclick = () => views.traces(traceId).catch(fail);
    document.getElementById("tr-clear").onclick = async () => { await call("/local/observability/clear", {method: "POST"}); location.hash = "#traces"; views.traces().catch(fail); };
  },

  async cache(name) {
    const {result: caches} = await call("/local/caches");
    name = name || (caches[0] && caches[0].name);
    let html = `<h2>Cache</h2><div class="bar"><select id="cache-name">${caches.map((c) => `<option value="${esc(c.name)}" ${c.name === name ? "selected" : ""}>${esc(c.name)} (${c.entries})</option>`).join("")}</select></div>`;
    if (!name) return render(html + `<p class="muted">Nothing cached: entries appear when a worker calls cache.put (caches.default or caches.open(name)).</p>`);
    const base = `/local/caches/${encodeURIComponent(name)}/entries`;
    const {result: entries} = await call(base);
    html += table(["URL", "status", "headers", "size", "stored", "expires", ""], entries.map((e) => [esc(e.url), String(e.status),
      esc(e.headers.map(([k, v]) => `${k}: ${v}`).join("\n")), String(e.size), esc(e.stored_at), esc(e.expires),
      `<button class="danger cache-delete" data-url="${esc(e.url)}">Delete</button>`]), "cache-entries");
    render(html);
    document.getElementById("cache-name").onchange = (e) => views.cache(e.target.value).catch(fail);
    on(".cache-delete", "click", async (el) => { try { await call(`${base}?url=${encodeURIComponent(el.dataset.url)}`, {method: "DELETE"}); views.cache(name).catch(fail); } catch (error) { fail(error); } });
  },

  async activity() {
    render(`<h2>Requests &amp; logs</h2><p class="muted">Live: new requests and log lines appear as they happen.</p>` + table(["time", "what", "detail"], [], "activity"));
    const body = main.querySelector("#activity tbody");
    let after = 0, first = true;
    const tick = async () => {
      const {result} = await call(`/local/activity?after=${after}`);
      if (result.length && first) body.innerHTML = "";
      first = first && !result.length;
      for (const e of result) {
        after = e.seq;
        const what = e.kind === "request" ? `<span class="status-${String(e.status)[0]}">${e.status}</span> ${esc(e.method)}` : esc(e.level);
        const detail = e.kind === "request" ? `${esc(e.worker)} ${esc(e.path)} (${e.duration_ms} ms)` : `${esc(e.logger)}: ${esc(e.message)}`;
        body.insertAdjacentHTML("afterbegin", `<tr><td class="mono">${esc(new Date(e.time * 1000).toLocaleTimeString())}</td><td class="mono">${what}</td><td class="mono">${detail}</td></tr>`);
      }
    };
    await tick();
    poller = setInterval(() => tick().catch(() => {}), 1000);
  },
};

async function route() {
  if (poller) { clearInterval(poller); poller = null; }
  const [view, arg] = (location.hash.slice(1) || "workers").split("/");
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.view === view));
  render(`<p class="muted">Loading…</p>`);
  try { await (view === "traces" ? views.traces(arg && decodeURIComponent(arg)) : (views[view] || views.workers)()); } catch (error) { render(""); fail(error); }
}
window.addEventListener("hashchange", route);
route();
</script>
</body></html>
"""
