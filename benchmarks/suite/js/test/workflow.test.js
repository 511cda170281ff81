import { introspectWorkflowInstance } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { call, migrate, send, total } from "./helpers.js";

const ORDERS = [
	[{ price: 5, qty: 1 }],
	[{ price: 5, qty: 2 }],
	[{ price: 1, qty: 1 }, { price: 2, qty: 2 }],
	[{ price: 100, qty: 3 }],
	[{ price: 7, qty: 7 }, { price: 1, qty: 0 }],
	[{ price: 0, qty: 9 }],
	[{ price: 12, qty: 1 }, { price: 13, qty: 1 }, { price: 14, qty: 1 }],
	[{ price: 999, qty: 1 }],
	[{ price: 3, qty: 33 }],
	[{ price: 2, qty: 5 }, { price: 5, qty: 2 }],
];

async function introspect(id) {
	const instance = await introspectWorkflowInstance(env.ORDERS, id);
	await instance.modify(async (m) => {
		await m.disableSleeps();
	});
	return instance;
}

describe("an order workflow", () => {
	beforeEach(migrate);

	it.each(ORDERS.map((items, i) => [i, items]))("completes order %i", async (i, items) => {
		const id = `order-${i}`;
		const instance = await introspect(id);
		try {
			await env.ORDERS.create({ id, params: { id, items } });
			await instance.waitForStatus("complete");
			expect(await instance.getOutput()).toEqual({ id, total: total(items) });
			expect(await instance.waitForStepResult({ name: "total" })).toBe(total(items));
			expect(await env.KV.get(`order:${id}`)).toBe(String(total(items)));
			const row = await env.DB.prepare("SELECT total FROM orders WHERE id = ?").bind(id).first();
			expect(row.total).toBe(total(items));
		} finally {
			await instance.dispose();
		}
	});

	it.each(ORDERS.slice(0, 5).map((items, i) => [i, items]))("runs order %i started over HTTP", async (i, items) => {
		const id = `web-${i}`;
		const instance = await introspect(id);
		try {
			const response = await send("/orders", { id, items });
			expect(response.status).toBe(202);
			expect(await response.json()).toEqual({ id });
			await instance.waitForStatus("complete");
			const status = await (await call(`/orders/${id}`)).json();
			expect(status.status).toBe("complete");
			expect(status.output).toEqual({ id, total: total(items) });
		} finally {
			await instance.dispose();
		}
	});

	it.each([1, 2, 3, 4, 5])("fails an empty order (%i)", async (i) => {
		const id = `empty-${i}`;
		const instance = await introspect(id);
		try {
			await env.ORDERS.create({ id, params: { id, items: [] } });
			await instance.waitForStatus("errored");
			const error = await instance.getError();
			// before compatibility date 2026-05-14 production reports this, not the step's own message
			expect(error.message).toBe(
				"The execution of the Workflow instance was terminated, as a step threw an NonRetryableError and it was not handled",
			);
			expect(await env.KV.get(`order:${id}`)).toBeNull();
		} finally {
			await instance.dispose();
		}
	});
});
