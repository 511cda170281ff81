import { describe, expect, it } from "vitest";
import { call } from "./helpers.js";

describe("routing", () => {
	it.each(["/nope", "/kvx/a", "/admin", "/notes-extra", "/%20"])("answers 404 for %s", async (path) => {
		const response = await call(path);
		expect(response.status).toBe(404);
		expect((await response.json()).error).toMatch(/^no route for /);
	});

	it.each([
		["PATCH", "/kv/a"],
		["POST", "/kv/a"],
		["PUT", "/notes"],
		["DELETE", "/counter/a"],
		["PUT", "/orders/x"],
	])("answers 405 for %s %s", async (method, path) => {
		const response = await call(path, { method });
		expect(response.status).toBe(405);
		expect(await response.json()).toEqual({ error: `${method} not allowed` });
	});

	it.each(["/kv/missing", "/kv/also%2Fmissing", "/r2/missing", "/r2/dir/missing", "/jobs/missing"])(
		"answers 404 for the missing %s",
		async (path) => {
			expect((await call(path)).status).toBe(404);
		},
	);

	it.each(["/", "/?a=1", "/?q=x&y=z", "/#top", "/?"])("describes the app at %s", async (path) => {
		const response = await call(path);
		expect(response.status).toBe(200);
		expect(response.headers.get("content-type")).toMatch(/^application\/json/);
		expect(await response.json()).toEqual({ app: "suite", bindings: ["KV", "BUCKET", "DB", "JOBS", "COUNTER", "ORDERS"] });
	});
});
