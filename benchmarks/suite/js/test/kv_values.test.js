import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const METADATA = [{ plan: "pro" }, { n: 1 }, { tags: ["a", "b"] }, { nested: { deep: true } }, { empty: "" }];
const DOCUMENTS = [{ name: "Ada" }, [1, 2, 3], { a: { b: { c: null } } }, "just a string", 42];
const TTLS = [60, 120, 3600, 86400, 604800];

describe("KV values", () => {
	it.each(METADATA)("keeps metadata %j", async (metadata) => {
		await env.KV.put("k", "v", { metadata });
		const got = await env.KV.getWithMetadata("k");
		expect(got.value).toBe("v");
		expect(got.metadata).toEqual(metadata);
	});

	it.each(DOCUMENTS)("reads %j back as JSON", async (document) => {
		await env.KV.put("doc", JSON.stringify(document));
		expect(await env.KV.get("doc", "json")).toEqual(document);
	});

	it.each(TTLS)("lists the expiration of a %is TTL", async (ttl) => {
		const now = Math.floor(Date.now() / 1000);
		await env.KV.put("session", "s", { expirationTtl: ttl });
		const { keys } = await env.KV.list();
		expect(keys.length).toBe(1);
		expect(keys[0].expiration).toBeGreaterThanOrEqual(now + ttl);
		expect(keys[0].expiration).toBeLessThanOrEqual(now + ttl + 5);
		expect(await env.KV.get("session")).toBe("s");
	});

	it.each([1, 2, 3, 5, 9])("pages a list %i keys at a time", async (limit) => {
		for (let i = 0; i < 10; i++) await env.KV.put(`key-${i}`, String(i));
		const first = await env.KV.list({ limit });
		expect(first.keys.map((k) => k.name)).toEqual(Array.from({ length: limit }, (_, i) => `key-${i}`));
		expect(first.list_complete).toBe(false);
		const rest = await env.KV.list({ cursor: first.cursor });
		expect(rest.keys.length).toBe(10 - limit);
		expect(rest.list_complete).toBe(true);
	});
});
