// Each test finds every binding empty, then fills it: a test that saw the previous test's data would fail.
import { introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { call, jobResult, migrate, send } from "./helpers.js";

describe("fresh storage for each test", () => {
	beforeEach(migrate);

	it.each(Array.from({ length: 20 }, (_, i) => i))("starts empty (%i)", async (i) => {
		expect((await env.KV.list()).keys).toEqual([]);
		expect((await env.BUCKET.list()).objects).toEqual([]);
		expect(await env.COUNTER.getByName("shared").value()).toBe(0);
		expect((await call("/notes")).status).toBe(200);
		expect(await (await call("/notes")).json()).toEqual([]);

		await env.KV.put("seen", String(i));
		await env.BUCKET.put("seen", String(i));
		expect(await env.COUNTER.getByName("shared").increment()).toBe(1);
		expect((await send("/notes", { title: `test ${i}` })).status).toBe(201);
		await send("/jobs", { id: "same", text: `run ${i}` });
		expect(await jobResult("same")).toBe(`RUN ${i}`);

		const instance = await introspectWorkflowInstance(env.ORDERS, "same-order");
		try {
			await instance.modify(async (m) => {
				await m.disableSleeps();
			});
			await env.ORDERS.create({ id: "same-order", params: { id: "same-order", items: [{ price: i, qty: 1 }] } });
			await instance.waitForStatus("complete");
			expect(await instance.getOutput()).toEqual({ id: "same-order", total: i });
		} finally {
			await instance.dispose();
		}
	});
});
