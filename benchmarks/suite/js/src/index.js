// The suite benchmark's application, in JS (../python/src/entry.py is the same in Python).
//
//   GET|PUT|DELETE /kv/<key>      KV (PUT ?ttl=<seconds>); GET /kv?prefix=p lists key names
//   GET|PUT|DELETE /r2/<key>      R2 (PUT keeps the request's content-type); GET /r2?prefix=p lists keys
//   POST /notes, GET /notes, GET|DELETE /notes/<id>    D1
//   POST /jobs {id, text}         queued; the consumer stores text upper-cased at KV "job:<id>"
//   GET /jobs/<id>                the consumer's result (404 until it ran)
//   GET|POST /counter/<name>      a Durable Object counter (POST ?by=n increments)
//   POST /orders {id, items}      starts an OrderWorkflow; GET /orders/<id> is its status
import { DurableObject, WorkflowEntrypoint } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";

export class Counter extends DurableObject {
	async increment(by = 1) {
		const count = ((await this.ctx.storage.get("count")) ?? 0) + by;
		await this.ctx.storage.put("count", count);
		return count;
	}

	async value() {
		return (await this.ctx.storage.get("count")) ?? 0;
	}

	async reset() {
		await this.ctx.storage.deleteAll();
		return 0;
	}
}

export class OrderWorkflow extends WorkflowEntrypoint {
	async run(event, step) {
		const { id, items } = event.payload;
		const total = await step.do("total", async () => {
			if (items.length === 0) throw new NonRetryableError(`order ${id} has no items`);
			return items.reduce((sum, item) => sum + item.price * item.qty, 0);
		});
		await step.do("reserve", async () => {
			await this.env.KV.put(`order:${id}`, String(total));
			return true;
		});
		await step.sleep("settle", "1 minute");
		await step.do("record", async () => {
			await this.env.DB.prepare("INSERT INTO orders (id, total) VALUES (?, ?)").bind(id, total).run();
			return true;
		});
		return { id, total };
	}
}

function json(value, status = 200) {
	return Response.json(value, { status });
}

async function kv(request, env, key, url) {
	if (key === "") {
		const listed = await env.KV.list({ prefix: url.searchParams.get("prefix") ?? "" });
		return json(listed.keys.map((k) => k.name));
	}
	if (request.method === "PUT") {
		const ttl = url.searchParams.get("ttl");
		await env.KV.put(key, await request.text(), ttl ? { expirationTtl: Number(ttl) } : {});
		return new Response(null, { status: 201 });
	}
	if (request.method === "DELETE") {
		await env.KV.delete(key);
		return new Response(null, { status: 204 });
	}
	const value = await env.KV.get(key);
	return value === null ? new Response("not found", { status: 404 }) : new Response(value);
}

async function r2(request, env, key, url) {
	if (key === "") {
		const listed = await env.BUCKET.list({ prefix: url.searchParams.get("prefix") ?? "" });
		return json(listed.objects.map((o) => o.key));
	}
	if (request.method === "PUT") {
		const contentType = request.headers.get("content-type") ?? "application/octet-stream";
		const object = await env.BUCKET.put(key, await request.text(), { httpMetadata: { contentType } });
		return json({ key: object.key, size: object.size }, 201);
	}
	if (request.method === "DELETE") {
		await env.BUCKET.delete(key);
		return new Response(null, { status: 204 });
	}
	const object = await env.BUCKET.get(key);
	if (object === null) return new Response("not found", { status: 404 });
	return new Response(await object.text(), { headers: { "content-type": object.httpMetadata.contentType } });
}

async function notes(request, env, id) {
	if (id === "") {
		if (request.method === "POST") {
			const { title, body = "" } = await request.json();
			if (!title) return json({ error: "title is required" }, 400);
			const row = await env.DB.prepare("INSERT INTO notes (title, body) VALUES (?, ?) RETURNING id")
				.bind(title, body)
				.first();
			return json({ id: row.id }, 201);
		}
		const { results } = await env.DB.prepare("SELECT id, title, body FROM notes ORDER BY id").all();
		return json(results);
	}
	if (request.method === "DELETE") {
		const { meta } = await env.DB.prepare("DELETE FROM notes WHERE id = ?").bind(Number(id)).run();
		return new Response(null, { status: meta.changes ? 204 : 404 });
	}
	const row = await env.DB.prepare("SELECT id, title, body FROM notes WHERE id = ?").bind(Number(id)).first();
	return row === null ? json({ error: "no such note" }, 404) : json(row);
}

async function jobs(request, env, id) {
	if (request.method === "POST") {
		const job = await request.json();
		await env.JOBS.send(job);
		return json({ queued: job.id }, 202);
	}
	const result = await env.KV.get(`job:${id}`);
	return result === null ? json({ error: "not done" }, 404) : json({ id, result });
}

async function counter(request, env, name, url) {
	const stub = env.COUNTER.getByName(name);
	if (request.method === "POST") {
		return json({ name, count: await stub.increment(Number(url.searchParams.get("by") ?? 1)) });
	}
	return json({ name, count: await stub.value() });
}

async function orders(request, env, id) {
	if (request.method === "POST") {
		const order = await request.json();
		const instance = await env.ORDERS.create({ id: order.id, params: order });
		return json({ id: instance.id }, 202);
	}
	const instance = await env.ORDERS.get(id);
	return json(await instance.status());
}

// section: [handler, methods allowed]
const ROUTES = {
	kv: [kv, ["GET", "PUT", "DELETE"]],
	r2: [r2, ["GET", "PUT", "DELETE"]],
	notes: [notes, ["GET", "POST", "DELETE"]],
	jobs: [jobs, ["GET", "POST"]],
	counter: [counter, ["GET", "POST"]],
	orders: [orders, ["GET", "POST"]],
};

export default {
	async fetch(request, env) {
		const url = new URL(request.url);
		if (url.pathname === "/") return json({ app: "suite", bindings: ["KV", "BUCKET", "DB", "JOBS", "COUNTER", "ORDERS"] });
		const [, section, ...rest] = url.pathname.split("/");
		if (!Object.hasOwn(ROUTES, section)) return json({ error: `no route for ${url.pathname}` }, 404);
		const [handler, allowed] = ROUTES[section];
		if (!allowed.includes(request.method)) return json({ error: `${request.method} not allowed` }, 405);
		return handler(request, env, decodeURIComponent(rest.join("/")), url);
	},

	async queue(batch, env) {
		for (const message of batch.messages) {
			await env.KV.put(`job:${message.body.id}`, message.body.text.toUpperCase());
			message.ack();
		}
	},
};
