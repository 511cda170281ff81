import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call } from "./helpers.js";

const TYPES = ["text/plain", "application/json", "text/html", "image/svg+xml", "application/octet-stream"];
const SIZES = [0, 1, 100, 4096, 65536];

describe("R2", () => {
	it.each(TYPES)("serves an object stored as %s", async (contentType) => {
		const put = await call("/r2/file", { method: "PUT", body: `a ${contentType} body`, headers: { "content-type": contentType } });
		expect(put.status).toBe(201);
		const response = await call("/r2/file");
		expect(response.status).toBe(200);
		expect(response.headers.get("content-type")).toBe(contentType);
		expect(await response.text()).toBe(`a ${contentType} body`);
	});

	it.each(SIZES)("reports the size of a %i-byte object", async (size) => {
		const response = await call("/r2/sized", { method: "PUT", body: "x".repeat(size) });
		expect(await response.json()).toEqual({ key: "sized", size });
		const head = await env.BUCKET.head("sized");
		expect(head.size).toBe(size);
	});

	it.each(["a", "b/c", "d e", "ø", "x/y/z"])("deletes %s", async (key) => {
		await env.BUCKET.put(key, "gone soon");
		expect((await call(`/r2/${encodeURIComponent(key)}`, { method: "DELETE" })).status).toBe(204);
		expect(await env.BUCKET.head(key)).toBeNull();
		expect((await call(`/r2/${encodeURIComponent(key)}`)).status).toBe(404);
	});

	it.each([1, 2, 3, 4, 5])("lists %i objects under a prefix", async (n) => {
		for (let i = 0; i < n; i++) await env.BUCKET.put(`img/${i}.png`, "png");
		await env.BUCKET.put("doc/readme", "text");
		const response = await call("/r2?prefix=img/");
		expect(await response.json()).toEqual(Array.from({ length: n }, (_, i) => `img/${i}.png`));
	});
});
