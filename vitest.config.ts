import path from "node:path";
import { defineConfig } from "vitest/config";

const conformanceVitest = path.join(import.meta.dirname, "tests", "ds", "conformance-vitest.ts");

export default defineConfig({
  resolve: { alias: { "@": import.meta.dirname } },
  plugins: [
    {
      // The Durable Streams conformance suite (tests/ds/conformance.test.ts) imports `vitest` from
      // its own dependency (another major version): it must register with this project's runner.
      name: "durable-streams-conformance-vitest",
      enforce: "pre",
      resolveId(source, importer) {
        if (source === "vitest" && importer?.includes("@durable-streams/server-conformance-tests")) {
          return conformanceVitest;
        }
        return null;
      },
    },
  ],
  test: {
    include: ["tests/**/*.test.ts", "dev/**/*.test.ts"],
    globalSetup: ["tests/setup/global.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: "forks",
    maxWorkers: 2,
    fileParallelism: true,
    // Processed by vite (not loaded by Node) so its `vitest` import resolves as above.
    server: { deps: { inline: [/@durable-streams\/server-conformance-tests/] } },
  },
});
