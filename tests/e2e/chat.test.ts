import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import { withBrowserStack } from "../support/fixtures.ts";
import { simulatorText } from "./simulator-text.ts";

const SESSION_URL = /\/sessions\/[0-9a-f-]{36}$/;
const TERMINAL = new Set(["completed", "failed", "cancelled"]);

async function rawOutput(page: Page): Promise<string> {
  const raw = page.getByTestId("assistant-raw");
  return (await raw.count()) === 0 ? "" : ((await raw.textContent()) ?? "");
}

async function sessionStatus(page: Page): Promise<string | null> {
  const status = page.getByTestId("session-status");
  return (await status.count()) === 0 ? null : status.getAttribute("data-status");
}

/**
 * Samples the output every 100 ms until `stop` says so (or the session ends), recording each length
 * that grew. Returns the growth steps seen and the last status.
 */
async function sampleGrowth(
  page: Page,
  stop: (length: number, steps: number) => boolean,
  timeoutMs = 30_000,
): Promise<{ growthSteps: number[]; status: string | null }> {
  const growthSteps: number[] = [];
  let previous = -1;
  let status: string | null = null;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const length = (await rawOutput(page)).length;
    status = await sessionStatus(page);
    if (length > previous) {
      if (previous >= 0) growthSteps.push(length);
      previous = length;
    }
    if ((status !== null && TERMINAL.has(status)) || stop(length, growthSteps.length)) break;
    await page.waitForTimeout(100);
  }
  return { growthSteps, status };
}

/** What the page says went wrong, if anything: shown in assertion messages. */
async function shownError(page: Page): Promise<string> {
  const error = page.getByTestId("chat-error");
  return (await error.count()) === 0 ? "no error shown" : `error shown: ${await error.textContent()}`;
}

async function waitForStatus(page: Page, wanted: string, timeoutMs = 30_000): Promise<void> {
  await page
    .locator(`[data-testid="session-status"][data-status="${wanted}"]`)
    .waitFor({ timeout: timeoutMs });
}

async function sendMessage(page: Page, appUrl: string, message: string, mode?: string): Promise<string> {
  await page.goto(`${appUrl}/chat`);
  await page.getByTestId("composer-input").fill(message);
  if (mode) await page.getByTestId("mode-select").selectOption(mode);
  await page.getByTestId("send-button").click();
  await page.waitForURL(SESSION_URL);
  return new URL(page.url()).pathname.split("/").pop()!;
}

/** The session as the API returns it, fetched inside the page with Alice's cookie. */
async function fetchSnapshot(
  page: Page,
  sessionId: string,
): Promise<{ status: string; output: string; runner: string }> {
  return page.evaluate(async (id) => {
    const response = await fetch(`/api/sessions/${id}`, { cache: "no-store" });
    return response.json();
  }, sessionId);
}

describe("chatting in the browser", () => {
  // A local worker (`npm run worker`) runs the background sessions, as `npm run dev` starts one.
  const { stack, signedInPage } = withBrowserStack({ worker: "process" });

  test("Alice sees the answer grow live, reloads mid-way and ends with exactly the simulator's text", async () => {
    const message = "#sim tokens=600 rate=60";
    const expected = await simulatorText(stack.agentSimUrl, message);
    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      await sendMessage(page, stack.appUrl, message);
      expect(await page.getByTestId("user-message").textContent()).toBe(message);

      // Before the reload: several visible steps, well before the end (sampling may be slow on a busy machine).
      const beforeReload = await sampleGrowth(
        page,
        (length, steps) => steps >= 4 || length >= expected.length * 0.7,
      );
      expect(beforeReload.growthSteps.length).toBeGreaterThanOrEqual(3);
      expect(beforeReload.status, await shownError(page)).toBe("live");
      const lengthAtReload = (await rawOutput(page)).length;
      expect(lengthAtReload).toBeLessThan(expected.length);

      await page.reload();
      const afterReload = await sampleGrowth(page, () => false);
      expect(afterReload.status, await shownError(page)).toBe("completed");
      expect(afterReload.growthSteps.length).toBeGreaterThanOrEqual(1);

      expect(await rawOutput(page)).toBe(expected);
      // The Markdown rendering shows the same words (the first paragraph starts the answer).
      const firstParagraph = await page.getByTestId("assistant-output").locator("p").first().textContent();
      expect(expected.startsWith(firstParagraph ?? "<none>")).toBe(true);
      await page.getByTestId("usage-footer").waitFor();
      expect(await page.getByTestId("stop-button").count()).toBe(0);
      expect(pageErrors).toEqual([]);
    });
  });

  test("Stop cancels the session and keeps exactly the partial output", async () => {
    const message = "#sim tokens=3000 rate=50";
    const full = await simulatorText(stack.agentSimUrl, message);
    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      const sessionId = await sendMessage(page, stack.appUrl, message);
      await sampleGrowth(page, (length) => length >= 200);

      await page.getByTestId("stop-button").click();
      await waitForStatus(page, "cancelled");
      // The stream ends with the runner's last flushed byte; the screen then stops changing.
      await expect
        .poll(async () => (await fetchSnapshot(page, sessionId)).status, { timeout: 10_000 })
        .toBe("cancelled");
      await expect
        .poll(async () => (await rawOutput(page)) === (await fetchSnapshot(page, sessionId)).output, {
          timeout: 10_000,
        })
        .toBe(true);
      const partial = await rawOutput(page);
      expect(partial.length).toBeGreaterThan(0);
      expect(partial.length).toBeLessThan(full.length);
      expect(full.startsWith(partial)).toBe(true);

      await page.waitForTimeout(1000);
      expect(await rawOutput(page)).toBe(partial);
      expect(await page.getByTestId("stop-button").count()).toBe(0);
      expect(await page.getByTestId("chat-error").count()).toBe(0);
      expect(pageErrors).toEqual([]);
    });
  });

  test("Run in background: the session page shows runner and status and ends with the exact text", async () => {
    const message = "#sim tokens=400 rate=80";
    const expected = await simulatorText(stack.agentSimUrl, message);
    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      const chatAnswer = page.waitForResponse(
        (response) =>
          new URL(response.url()).pathname === "/api/chat" && response.request().method() === "POST",
      );
      const sessionId = await sendMessage(page, stack.appUrl, message, "background");
      // The page speaks the AI SDK's protocol: a background session answers with its UI message stream.
      const answer = await chatAnswer;
      expect(answer.status()).toBe(200);
      expect(await answer.headerValue("x-workflow-run-id")).toBe(sessionId);

      // Watch the status bar until the session ends: it runs in the background, never live.
      const statuses = new Set<string>();
      const runners = new Set<string>();
      let finalStatus: string | null = null;
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && finalStatus === null) {
        const status = await sessionStatus(page);
        if (status) statuses.add(status);
        const runner = page.getByTestId("session-runner");
        if ((await runner.count()) > 0) runners.add((await runner.getAttribute("data-runner")) ?? "");
        if (status !== null && TERMINAL.has(status)) finalStatus = status;
        else await page.waitForTimeout(100);
      }
      expect(finalStatus, await shownError(page)).toBe("completed");
      expect(statuses.has("background")).toBe(true);
      expect(statuses.has("live")).toBe(false);
      expect([...runners].some((runner) => runner === "worker" || runner === "trigger")).toBe(true);

      expect(await rawOutput(page)).toBe(expected);
      await page.getByTestId("usage-footer").waitFor();
      expect((await fetchSnapshot(page, sessionId)).output).toBe(expected);
      expect(pageErrors).toEqual([]);
    });
  });
});
