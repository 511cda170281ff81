import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { call, migrate, send } from "./helpers.js";

const TITLES = ["groceries", "todo", "ideas", "ünïcode ✓", "a much longer title for a note"];

describe("D1", () => {
	beforeEach(migrate);

	it.each(TITLES)("creates the note %s", async (title) => {
		const created = await send("/notes", { title, body: `about ${title}` });
		expect(created.status).toBe(201);
		const { id } = await created.json();
		const response = await call(`/notes/${id}`);
		expect(await response.json()).toEqual({ id, title, body: `about ${title}` });
	});

	it.each([1, 2, 3, 4, 5])("lists %i notes in order", async (n) => {
		for (let i = 0; i < n; i++) await send("/notes", { title: `note ${i}` });
		const response = await call("/notes");
		const notes = await response.json();
		expect(notes.map((note) => note.title)).toEqual(Array.from({ length: n }, (_, i) => `note ${i}`));
		expect(notes.map((note) => note.id)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
	});

	it.each(TITLES)("deletes the note %s", async (title) => {
		const { id } = await (await send("/notes", { title })).json();
		expect((await call(`/notes/${id}`, { method: "DELETE" })).status).toBe(204);
		expect((await call(`/notes/${id}`, { method: "DELETE" })).status).toBe(404);
		const { count } = await env.DB.prepare("SELECT count(*) AS count FROM notes").first();
		expect(count).toBe(0);
	});

	it.each([{}, { title: "" }, { body: "no title" }, { title: null }, { title: "", body: "x" }])(
		"refuses %j",
		async (note) => {
			const response = await send("/notes", note);
			expect(response.status).toBe(400);
			expect(await response.json()).toEqual({ error: "title is required" });
			const { count } = await env.DB.prepare("SELECT count(*) AS count FROM notes").first();
			expect(count).toBe(0);
		},
	);
});
