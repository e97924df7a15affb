import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import { signIn, type TestPage } from "../support/browser.ts";
import { withBrowserStack } from "../support/fixtures.ts";
import { simulatorText } from "./simulator-text.ts";

const BOB_ID = "b0b00000-0000-4000-8000-000000000002";

const { stack, newPage } = withBrowserStack({ worker: "process" });

/** Every request the page makes to a session's stream endpoint (the UI message stream's or Overtime's). */
function streamRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on("request", (request) => {
    if (/\/api\/(sessions|chat)\/[^/]+\/stream/.test(request.url())) urls.push(request.url());
  });
  return urls;
}

/** The page's console warnings and errors as they come (said when a device never sees the end). */
function consoleLines(page: Page): string[] {
  const lines: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "warning" || message.type() === "error")
      lines.push(`${message.type()}: ${message.text()}`);
  });
  return lines;
}

async function finalText(
  page: Page,
  consoleSeen: string[],
): Promise<{ status: string | null; text: string | null }> {
  try {
    await page
      .locator('[data-testid="session-status"][data-status="completed"]')
      .waitFor({ timeout: 90_000 });
  } catch (error) {
    // Seen once in a full CI run, never alone: what the page showed and said, for the next reader.
    const status = await page
      .getByTestId("session-status")
      .getAttribute("data-status")
      .catch(() => null);
    const shown = (
      await page
        .getByTestId("assistant-raw")
        .textContent()
        .catch(() => null)
    )?.length;
    throw new Error(
      `${page.url()} never showed completed: status ${status}, ${shown} characters shown; console: ${JSON.stringify(consoleSeen.slice(-20))}`,
      { cause: error },
    );
  }
  return {
    status: await page.getByTestId("session-status").getAttribute("data-status"),
    text: await page.getByTestId("assistant-raw").textContent(),
  };
}

describe("following a background session over Realtime on two devices", () => {
  test("the other device's list shows it at once, both follow it through a Realtime restart to the exact text, Bob cannot join", async () => {
    const message = "#sim tokens=1200 rate=80 seed=realtime-e2e";
    const expected = await simulatorText(stack.agentSimUrl, message);
    const pages: TestPage[] = [];
    try {
      const deviceA = await newPage();
      const deviceB = await newPage();
      pages.push(deviceA, deviceB);
      await signIn(deviceA.page, stack.appUrl, "alice@example.com", "overtime-dev");
      await signIn(deviceB.page, stack.appUrl, "alice@example.com", "overtime-dev");
      const requestsA = streamRequests(deviceA.page);
      const requestsB = streamRequests(deviceB.page);
      const [consoleA, consoleB] = [consoleLines(deviceA.page), consoleLines(deviceB.page)];
      // Device B sits on the sessions list; it must learn of the new session without a reload.
      await deviceB.page.getByTestId("sessions-empty").or(deviceB.page.getByTestId("sessions")).waitFor();

      await deviceA.page.goto(`${stack.appUrl}/chat`);
      await deviceA.page.getByTestId("mode-select").selectOption("background");
      await deviceA.page.getByTestId("composer-input").fill(message);
      await deviceA.page.getByTestId("send-button").click();
      await deviceA.page.waitForURL(/\/sessions\/[0-9a-f-]{36}$/);
      const sessionId = new URL(deviceA.page.url()).pathname.split("/").pop()!;

      const row = deviceB.page.locator(`[data-testid="session-row"][data-session-id="${sessionId}"]`);
      await row.waitFor({ timeout: 15_000 });
      await row.getByRole("link").click();
      await deviceB.page.waitForURL(`${stack.appUrl}/sessions/${sessionId}`);
      await deviceB.page.locator('[data-testid="assistant-raw"]').waitFor({ state: "attached" });

      // A background session says how its end will be told, with the way to the settings.
      await deviceA.page.getByTestId("session-notify").getByRole("link", { name: "settings" }).waitFor();
      await expect(deviceA.page.getByTestId("credit-balance").textContent()).resolves.toMatch(/credits$/);

      // Realtime goes away in the middle of the run and comes back.
      await deviceA.page.waitForFunction(
        () => (document.querySelector('[data-testid="assistant-raw"]')?.textContent?.length ?? 0) > 0,
      );
      stack.realtime.stop();
      await new Promise((resolve) => setTimeout(resolve, 2500));
      stack.realtime.start();

      const [a, b] = await Promise.all([
        finalText(deviceA.page, consoleA),
        finalText(deviceB.page, consoleB),
      ]);
      expect(a).toEqual({ status: "completed", text: expected });
      expect(b).toEqual({ status: "completed", text: expected });
      // Following held no request open: every read of the stream endpoint was a catch-up read.
      for (const url of [...requestsA, ...requestsB]) expect(url).toContain("follow=0");
      expect(requestsB.length).toBeGreaterThan(0);
      await deviceB.page.goto(`${stack.appUrl}/`);
      await deviceB.page
        .locator(`[data-testid="session-row"][data-session-id="${sessionId}"][data-status="completed"]`)
        .waitFor();
      expect(deviceA.pageErrors).toEqual([]);
      expect(deviceB.pageErrors).toEqual([]);

      const bob = await newPage();
      pages.push(bob);
      await signIn(bob.page, stack.appUrl, "bob@example.com", "overtime-dev");
      await bob.page.goto(`${stack.appUrl}/sessions/${sessionId}`);
      await expect(bob.page.getByTestId("chat-error").textContent()).resolves.toMatch(/not found/i);
      await expect
        .poll(() =>
          stack.realtimeLog.some(
            (line) =>
              line.startsWith("join refused") &&
              line.includes(`session:${sessionId}`) &&
              line.includes(BOB_ID),
          ),
        )
        .toBe(true);
    } finally {
      for (const page of pages) await page.close();
    }
    // A deadline, not a timing: three browser sign-ins and a 15 s session on a busy CI machine.
  }, 150_000);
});
