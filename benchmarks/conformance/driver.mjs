// Starts Miniflare (installed from npm into a cache folder by harness.py) with worker.mjs, prints one line
// `ready <url>` and serves until stdin closes. Usage: node driver.mjs <folder holding node_modules/miniflare>.
// The worker's bindings mirror pyworker/wrangler.toml, the config pyflare runs the same sequences with.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const [moduleFolder] = process.argv.slice(2);
const require = createRequire(path.join(moduleFolder, "package.json"));
const { Miniflare, Log, LogLevel } = require("miniflare");
const here = path.dirname(fileURLToPath(import.meta.url));

const consumer = { maxBatchSize: 3, maxBatchTimeout: 0, maxRetries: 2, retryDelay: 0, deadLetterQueue: "dlq" };
const mf = new Miniflare({
  host: "127.0.0.1",
  port: 0,
  log: new Log(LogLevel[process.env.CONFORMANCE_MINIFLARE_LOG ?? "ERROR"]),
  modules: true,
  scriptPath: path.join(here, "worker.mjs"),
  script: readFileSync(path.join(here, "worker.mjs"), "utf8"),
  compatibilityDate: "2025-11-01",
  compatibilityFlags: ["nodejs_compat"],
  kvNamespaces: ["KV"],
  r2Buckets: ["BUCKET"],
  d1Databases: ["DB"],
  durableObjects: {
    SQL_OBJECT: { className: "SqlObject", useSQLite: true },
    KV_OBJECT: { className: "KvObject", useSQLite: false },
    RECORDER: { className: "Recorder", useSQLite: true },
  },
  queueProducers: { QUEUE: "work", DLQ: "dlq", BATCHED: "batched" },
  queueConsumers: {
    work: consumer,
    dlq: { maxBatchSize: 10, maxBatchTimeout: 0, maxRetries: 0 },
    // With a batch timeout of 0 Miniflare's broker cuts batches as its timers happen to fire; batching
    // itself is observed on a queue that waits a second for a full batch.
    batched: { maxBatchSize: 3, maxBatchTimeout: 1, maxRetries: 0 },
  },
});
const url = await mf.ready;
process.stdout.write(`ready ${url}\n`);
process.stdin.resume();
process.stdin.on("end", async () => {
  await mf.dispose();
  process.exit(0);
});
