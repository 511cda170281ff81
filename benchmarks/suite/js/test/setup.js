// Fresh storage for every test, as pyflare's fixture gives: the pool isolates storage per test file, and
// reset() deletes everything the bindings stored (they all live in Durable Objects under Miniflare).
import { reset } from "cloudflare:test";
import { afterEach } from "vitest";

afterEach(async () => {
	await reset();
});
