import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, jobResult, send } from "./helpers.js";

const TEXTS = ["hello", "queue", "mixed Case", "ünïcode", "with spaces", "x", "numbers 123", "punctuation!?", "tabs\tand", "last one"];

describe("a queue with a consumer", () => {
	it.each(TEXTS)("processes %j", async (text) => {
		const response = await send("/jobs", { id: "job-1", text });
		expect(response.status).toBe(202);
		expect(await response.json()).toEqual({ queued: "job-1" });
		expect(await jobResult("job-1")).toBe(text.toUpperCase());
		const result = await call("/jobs/job-1");
		expect(await result.json()).toEqual({ id: "job-1", result: text.toUpperCase() });
	});

	it.each([1, 2, 3, 5, 8])("processes a batch of %i", async (n) => {
		await env.JOBS.sendBatch(Array.from({ length: n }, (_, i) => ({ body: { id: `b${i}`, text: `item ${i}` } })));
		for (let i = 0; i < n; i++) expect(await jobResult(`b${i}`)).toBe(`ITEM ${i}`);
	});

	it.each(["a", "b", "c", "d", "e"])("processes only the job sent (%s)", async (id) => {
		await env.JOBS.send({ id, text: id });
		expect(await jobResult(id)).toBe(id.toUpperCase());
		expect((await call(`/jobs/not-${id}`)).status).toBe(404);
	});
});
