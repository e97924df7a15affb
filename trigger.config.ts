import { defineConfig } from "@trigger.dev/sdk";

export default defineConfig({
  project: process.env.TRIGGER_PROJECT_REF ?? "proj_overtime_local",
  dirs: ["./trigger"],
  // The project targets Node 24 (current supabase-js needs ≥ 22); the default runtime is older.
  runtime: "node-24",
  // Agent sessions are long by nature; each attempt may run for hours.
  maxDuration: 6 * 60 * 60,
  retries: {
    enabledInDev: false,
    default: { maxAttempts: 3, minTimeoutInMs: 1000, maxTimeoutInMs: 10_000, factor: 2, randomize: true },
  },
});
