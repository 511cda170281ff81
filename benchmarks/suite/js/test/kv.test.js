import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call } from "./helpers.js";

const KEYS = ["alpha", "beta", "with space", "ünïcode", "deep/nested/key"];
const path = (key) => `/kv/${encodeURIComponent(key)}`;

describe("KV through the worker", () => {
	it.each(KEYS)("stores %s", async (key) => {
		expect((await call(path(key), { method: "PUT", body: `value of ${key}` })).status).toBe(201);
		const response = await call(path(key));
		expect(response.status).toBe(200);
		expect(await response.text()).toBe(`value of ${key}`);
	});

	it.each(KEYS)("serves %s written by the test", async (key) => {
		await env.KV.put(key, key.toUpperCase());
		const response = await call(path(key));
		expect(response.status).toBe(200);
		expect(await response.text()).toBe(key.toUpperCase());
	});

	it.each(KEYS)("deletes %s", async (key) => {
		await call(path(key), { method: "PUT", body: "x" });
		expect((await call(path(key), { method: "DELETE" })).status).toBe(204);
		expect((await call(path(key))).status).toBe(404);
		expect(await env.KV.get(key)).toBeNull();
	});

	it.each([1, 2, 3, 4, 5])("lists %i keys under a prefix", async (n) => {
		for (let i = 0; i < n; i++) await env.KV.put(`p/${i}`, "v");
		await env.KV.put("q/other", "v");
		const response = await call("/kv?prefix=p/");
		expect(await response.json()).toEqual(Array.from({ length: n }, (_, i) => `p/${i}`));
	});
});
