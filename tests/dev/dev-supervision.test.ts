import { expect, test } from "vitest";
import { api, signIn, waitFor } from "../support/api.ts";
import { runNpm, webHealthy, withDevRunning } from "../support/dev-process.ts";

/** The pids `[dev] web started (pid N)` lines name, in order. */
function webPids(output: string): number[] {
  return [...output.matchAll(/\[dev\] web started \(pid (\d+)\)/g)].map((match) => Number(match[1]));
}

test(
  "npm run worker beside npm run dev, with no AGENTS, completes a background session; a killed web server is restarted",
  {
    timeout: 420_000,
  },
  () =>
    // The stack on free ports, without its own worker: only the `npm run worker` below can run sessions.
    withDevRunning({ DEV_WORKER: "0" }, async ({ ports, env, dev }) => {
      let worker: ReturnType<typeof runNpm> | undefined;
      try {
        expect(dev.output()).toContain("Local worker       off (DEV_WORKER=0)");
        await webHealthy(ports.web);
        // `npm run worker` as the README says, told only where this stack's services listen (they are not
        // on the default ports here); AGENTS is unset, as on a fresh clone.
        worker = runNpm(
          ["run", "worker"],
          {
            ...env,
            DATABASE_URL: `postgresql://postgres:postgres@127.0.0.1:${ports.db}/postgres`,
            RESEND_BASE_URL: `http://127.0.0.1:${ports.inbox}/resend`,
            TELEGRAM_API_ROOT: `http://127.0.0.1:${ports.inbox}/telegram`,
          },
          { detached: true },
        );
        await waitFor(
          async () => (worker?.output().includes("local worker started") ? true : undefined),
          60_000,
          200,
        );

        const alice = api(
          `http://127.0.0.1:${ports.web}`,
          await signIn(`http://127.0.0.1:${ports.supabase}`, "alice@example.com"),
        );
        const started = await alice.chat({
          message: "#sim tokens=30 rate=0 seed=worker",
          mode: "background",
        });
        expect(started.status).toBe(202);
        const { sessionId } = (await started.json()) as { sessionId: string };
        const finished = await waitFor(
          async () => {
            const snapshot = (await (await alice.snapshot(sessionId)).json()) as {
              status: string;
              error: unknown;
            };
            return ["completed", "failed", "cancelled"].includes(snapshot.status) ? snapshot : undefined;
          },
          60_000,
          250,
        );
        expect(finished).toMatchObject({ status: "completed", error: null });
        expect(worker.output()).toContain(`"sessionId":"${sessionId}"`);

        // Kill the web server: the dev runner says so, starts a new one, and the stack answers again.
        const [firstWeb] = webPids(dev.output());
        expect(firstWeb).toBeGreaterThan(0);
        process.kill(firstWeb!, "SIGKILL");
        await waitFor(
          async () =>
            dev.output().includes("web exited (signal SIGKILL); restarting it") ? true : undefined,
          30_000,
          200,
        );
        const secondWeb = await waitFor(async () => webPids(dev.output())[1], 60_000, 200);
        expect(secondWeb).not.toBe(firstWeb);
        await webHealthy(ports.web);
        expect(dev.process.exitCode).toBeNull();
      } finally {
        try {
          if (worker?.process.pid) process.kill(-worker.process.pid, "SIGTERM");
        } catch {
          // Already gone.
        }
      }
    }),
);
