// What the tests share (../../python/tests/helpers.py is the same for pytest).
import { applyD1Migrations } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { vi } from "vitest";

export function call(path, init) {
	return exports.default.fetch(`http://localhost${path}`, init);
}

export function send(path, value, method = "POST") {
	return call(path, { method, body: JSON.stringify(value), headers: { "content-type": "application/json" } });
}

export async function migrate() {
	await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
}

// The consumer's result for job `id`, once the queue has delivered it.
export async function jobResult(id) {
	return vi.waitUntil(() => env.KV.get(`job:${id}`), { timeout: 5000, interval: 5 });
}

export function total(items) {
	return items.reduce((sum, item) => sum + item.price * item.qty, 0);
}
