// Requests that use several bindings at once, as a user's end-to-end tests do.
import { introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { call, jobResult, migrate, send, total } from "./helpers.js";

describe("flows over several bindings", () => {
	beforeEach(migrate);

	it.each(Array.from({ length: 10 }, (_, i) => i))("files note %i and queues its summary", async (i) => {
		const { id } = await (await send("/notes", { title: `report ${i}`, body: "b".repeat(i) })).json();
		const note = await (await call(`/notes/${id}`)).json();
		await send("/jobs", { id: `note-${id}`, text: note.title });
		await call(`/r2/notes/${id}`, { method: "PUT", body: JSON.stringify(note), headers: { "content-type": "application/json" } });
		expect(await jobResult(`note-${id}`)).toBe(`REPORT ${i}`);
		const archived = await call(`/r2/notes/${id}`);
		expect(await archived.json()).toEqual({ id, title: `report ${i}`, body: "b".repeat(i) });
		expect(await (await call("/r2?prefix=notes/")).json()).toEqual([`notes/${id}`]);
	});

	it.each(Array.from({ length: 10 }, (_, i) => i))("counts order %i and runs it", async (i) => {
		const items = [{ price: i + 1, qty: 2 }];
		const id = `flow-${i}`;
		const instance = await introspectWorkflowInstance(env.ORDERS, id);
		try {
			await instance.modify(async (m) => {
				await m.disableSleeps();
			});
			const counted = await (await call("/counter/orders", { method: "POST" })).json();
			expect(counted.count).toBe(1);
			await send("/orders", { id, items });
			await instance.waitForStatus("complete");
			expect(await (await call(`/kv/${encodeURIComponent(`order:${id}`)}`)).text()).toBe(String(total(items)));
			const { results } = await env.DB.prepare("SELECT id, total FROM orders").all();
			expect(results).toEqual([{ id, total: total(items) }]);
		} finally {
			await instance.dispose();
		}
	});
});
