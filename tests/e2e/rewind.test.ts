import type { ChildProcess } from "node:child_process";
import type { Browser, Page } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll, expect, test } from "vitest";
import { stopService } from "../../dev/stack.ts";
import { launchBrowser, newPage, signIn } from "../support/browser.ts";
import { startNextServer, startTestStack, type TestStack } from "../support/stack.ts";
import { startLocalWorkerProcess } from "./local-worker.ts";

// The live runner checkpoints rarely, so the page is ahead of the durable log when its server dies.
const ENV = { CHECKPOINT_MS: "20000", LEASE_SECONDS: "9", LIVE_BUDGET_SECONDS: "600" };

let stack: TestStack;
let browser: Browser;
let sql: postgres.Sql;
let worker: { stop(): Promise<void> } | undefined;
let server: ChildProcess | undefined;

beforeAll(async () => {
  stack = await startTestStack({ env: ENV });
  server = stack.appProcess;
  worker = startLocalWorkerProcess(stack.env);
  sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  if (server && server !== stack.appProcess) await stopService(server);
  await worker?.stop();
  await sql?.end();
  await stack?.close();
});

async function rawOutput(page: Page): Promise<string> {
  const raw = page.getByTestId("assistant-raw");
  return (await raw.count()) === 0 ? "" : ((await raw.textContent()) ?? "");
}

async function durableOffset(sessionId: string): Promise<number> {
  const [row] = await sql<
    { durable_offset: number }[]
  >`select durable_offset from sessions where id = ${sessionId}`;
  return Number(row?.durable_offset ?? 0);
}

function killWebServer(): void {
  process.kill(-server!.pid!, "SIGKILL");
}

function exited(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", resolve));
}

/** Kills the web server (SIGKILL to its process group), if not yet, and starts one on the same port. */
async function restartWebServer(): Promise<void> {
  const exit = exited(server!);
  if (server!.exitCode === null && server!.signalCode === null) killWebServer();
  await exit;
  server = await startNextServer(Number(new URL(stack.appUrl).port), stack.env);
}

test("the web server dies while the page is ahead of the log: the page rewinds and ends with exactly the final log", async () => {
  const { page, pageErrors, close } = await newPage(browser);
  // The page follows over Realtime: it resumes the message by catch-up reads from its chunk index.
  const resumeCursors: string[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (!url.pathname.endsWith("/stream")) return;
    const cursor = url.searchParams.get("startIndex");
    if (cursor && url.searchParams.get("follow") === "0") resumeCursors.push(cursor);
  });
  try {
    await signIn(page, stack.appUrl, "alice@example.com", "overtime-dev");
    await page.goto(`${stack.appUrl}/chat`);
    await page.getByTestId("composer-input").fill("#sim tokens=1500 rate=60 seed=browser-rewind");
    await page.getByTestId("agent-select").selectOption("sim-chat");
    await page.getByTestId("mode-select").selectOption("live");
    await page.getByTestId("send-button").click();
    await page.waitForURL(/\/sessions\/[0-9a-f-]{36}$/);
    const sessionId = new URL(page.url()).pathname.split("/").pop()!;

    // Wait until the page shows bytes the log does not have yet, then kill its live runner's server.
    let shown = "";
    await expect
      .poll(
        async () => {
          shown = await rawOutput(page);
          const durable = await durableOffset(sessionId);
          const ahead = durable > 0 && Buffer.byteLength(shown) - durable >= 60;
          // At once: the next checkpoint must not land between this check and the kill.
          if (ahead) killWebServer();
          return ahead;
        },
        { timeout: 30_000, interval: 50 },
      )
      .toBe(true);
    await exited(server!);
    expect(Buffer.byteLength(shown)).toBeGreaterThan(await durableOffset(sessionId));
    await restartWebServer();

    // The worker continues after a seam; once the page follows it, the server dies once more: the
    // page reads what it missed from its cursor when it is back.
    await page.locator('[data-testid="session-runner"][data-runner="worker"]').waitFor({ timeout: 30_000 });
    await page.getByTestId("seam").waitFor({ timeout: 30_000 });
    await restartWebServer();
    await page
      .locator('[data-testid="session-status"][data-status="completed"]')
      .waitFor({ timeout: 60_000 });

    const snapshot = await page.evaluate(async (id) => {
      const response = await fetch(`/api/sessions/${id}`, { cache: "no-store" });
      return (await response.json()) as { output: string; seams: number[] };
    }, sessionId);
    // The continuation replaced what the dead runner had shown past its checkpoint.
    expect(snapshot.output.startsWith(shown)).toBe(false);
    expect(snapshot.seams.length).toBe(1);
    expect(await rawOutput(page)).toBe(snapshot.output);
    expect(
      resumeCursors.some((cursor) => /^[1-9]\d*$/.test(cursor)),
      "a catch-up read resumed from the page's chunk index",
    ).toBe(true);
    expect(pageErrors).toEqual([]);
  } finally {
    await close();
  }
});
