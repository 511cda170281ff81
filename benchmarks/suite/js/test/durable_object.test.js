import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call } from "./helpers.js";

const NAMES = ["visits", "likes", "a/b", "ünïcode", "x"];

describe("a Durable Object counter", () => {
	it.each(NAMES)("counts requests to %s", async (name) => {
		for (const expected of [1, 2, 3]) {
			const response = await call(`/counter/${encodeURIComponent(name)}`, { method: "POST" });
			expect(await response.json()).toEqual({ name, count: expected });
		}
		const response = await call(`/counter/${encodeURIComponent(name)}`);
		expect(await response.json()).toEqual({ name, count: 3 });
	});

	it.each([1, 2, 5, 10, 100])("adds %i over RPC", async (by) => {
		const stub = env.COUNTER.getByName("rpc");
		expect(await stub.increment(by)).toBe(by);
		expect(await stub.increment(by)).toBe(2 * by);
		expect(await stub.value()).toBe(2 * by);
	});

	it.each([1, 2, 3, 4, 5])("keeps %i in the object's storage", async (times) => {
		const stub = env.COUNTER.getByName("stored");
		for (let i = 0; i < times; i++) await stub.increment();
		const stored = await runInDurableObject(stub, (instance, state) => state.storage.get("count"));
		expect(stored).toBe(times);
		// (under the pool, reset() empties objects but they stay listed, so this cannot ask for exactly one)
		const ids = await listDurableObjectIds(env.COUNTER);
		expect(ids.map(String)).toContain(stub.id.toString());
	});

	it.each([1, 2, 3, 4, 5])("keeps counters apart (%i)", async (k) => {
		const a = env.COUNTER.getByName("a");
		const b = env.COUNTER.getByName("b");
		for (let i = 0; i < k; i++) await a.increment();
		await b.increment();
		expect(await a.value()).toBe(k);
		expect(await b.value()).toBe(1);
		expect(await b.reset()).toBe(0);
		expect(await b.value()).toBe(0);
		expect(await a.value()).toBe(k);
	});
});
