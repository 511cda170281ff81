// The vitest side of the suite benchmark: the documented set-up of the Workers Vitest integration, with the
// D1 migrations read once and applied by the tests that use D1, and a zero batch timeout so queue tests do not
// wait for a batch to fill (pyflare's tests call drain(), which delivers at once).
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
	const migrations = await readD1Migrations(path.join(import.meta.dirname, "..", "migrations"));
	return {
		plugins: [
			cloudflareTest({
				main: "./src/index.js",
				wrangler: { configPath: "./wrangler.jsonc" },
				miniflare: {
					bindings: { TEST_MIGRATIONS: migrations },
					queueConsumers: { jobs: { maxBatchTimeout: 0 } },
				},
			}),
		],
		// vitest's 5 s default fails tests on a loaded machine (the benchmark times the run; it must not fail it):
		// the pytest side has no per-test timeout either
		test: { setupFiles: ["./test/setup.js"], testTimeout: 120_000, hookTimeout: 120_000 },
	};
});
