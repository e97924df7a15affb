import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import { signIn } from "../support/browser.ts";
import { withBrowserStack } from "../support/fixtures.ts";
import { simulatorText } from "./simulator-text.ts";

async function shownLength(page: Page, testId: string, role?: string): Promise<number> {
  const selector = role ? `[data-testid="${testId}"][data-role="${role}"]` : `[data-testid="${testId}"]`;
  const element = page.locator(selector).last();
  return (await element.count()) === 0 ? 0 : ((await element.textContent()) ?? "").length;
}

/** Every request the page makes to a stream endpoint: the AI SDK's and Overtime's own. */
function streamReads(page: Page): { ui: string[]; sse: string[] } {
  const reads = { ui: [] as string[], sse: [] as string[] };
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (/^\/api\/chat\/[^/]+\/stream$/.test(path)) reads.ui.push(request.url());
    if (/^\/api\/sessions\/[^/]+\/stream$/.test(path)) reads.sse.push(request.url());
  });
  return reads;
}

describe("the web app on the AI SDK's useChat", () => {
  const { stack, signedInPage, newPage } = withBrowserStack({ worker: "process" });

  test("a page with a plain useChat({ id, resume: true }) sends, reloads mid-answer and ends with exactly the session's text", async () => {
    const message = "#sim tokens=600 rate=60 seed=plain-use-chat";
    const expected = await simulatorText(stack.agentSimUrl, message);
    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      const chatId = `plain-${Date.now()}`;
      await page.goto(`${stack.appUrl}/examples/use-chat/${chatId}`);
      await page.getByTestId("example-input").fill(message);
      await page.getByTestId("example-send").click();
      await expect
        .poll(() => shownLength(page, "example-message", "assistant"), { timeout: 30_000 })
        .toBeGreaterThan(50);
      expect(await shownLength(page, "example-message", "assistant")).toBeLessThan(expected.length);

      const resumed = page.waitForRequest((request) =>
        new URL(request.url()).pathname.endsWith(`/api/chat/${chatId}/stream`),
      );
      await page.reload();
      await resumed;
      const answer = page.locator('[data-testid="example-message"][data-role="assistant"]');
      await expect.poll(() => answer.textContent(), { timeout: 60_000 }).toBe(expected);
      await page.locator('[data-testid="chat-status"]', { hasText: "ready" }).waitFor();
      expect(pageErrors).toEqual([]);
    });
  });

  test("a second browser opens the session mid-answer: both follow it on the UI message stream to exactly its text", async () => {
    const message = "#sim tokens=1000 rate=60 seed=two-contexts";
    const expected = await simulatorText(stack.agentSimUrl, message);
    const [first, second] = [await newPage(), await newPage()];
    try {
      await signInBoth(first.page, second.page);
      const readsFirst = streamReads(first.page);
      const readsSecond = streamReads(second.page);
      await first.page.goto(`${stack.appUrl}/chat`);
      await first.page.getByTestId("mode-select").selectOption("live");
      await first.page.getByTestId("composer-input").fill(message);
      await first.page.getByTestId("send-button").click();
      await first.page.waitForURL(/\/sessions\/[0-9a-f-]{36}$/);
      await first.page.locator('[data-testid="session-status"][data-status="live"]').waitFor();
      await expect.poll(() => shownLength(first.page, "assistant-raw")).toBeGreaterThan(100);

      await second.page.goto(first.page.url());
      await second.page.locator('[data-testid="session-status"][data-status="live"]').waitFor();
      expect(await shownLength(second.page, "assistant-raw")).toBeLessThan(expected.length);
      for (const { page } of [first, second]) {
        await page
          .locator('[data-testid="session-status"][data-status="completed"]')
          .waitFor({ timeout: 60_000 });
        expect(await page.getByTestId("assistant-raw").textContent()).toBe(expected);
        await page.getByTestId("usage-footer").waitFor();
      }
      // The second page read the UI message stream by catch-up reads, never Overtime's own SSE.
      expect(readsSecond.ui.length).toBeGreaterThan(0);
      for (const url of readsSecond.ui) expect(url).toContain("follow=0");
      expect([...readsFirst.sse, ...readsSecond.sse]).toEqual([]);
      expect(first.pageErrors).toEqual([]);
      expect(second.pageErrors).toEqual([]);
    } finally {
      await first.close();
      await second.close();
    }
  });

  test("a second message on the session page is the conversation's next turn, and a reload shows both turns", async () => {
    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      const completed = page.locator('[data-testid="session-status"][data-status="completed"]');
      await page.goto(`${stack.appUrl}/chat`);
      await page.getByTestId("composer-input").fill("#sim tokens=20 rate=0 seed=turn-one\nFirst");
      await page.getByTestId("send-button").click();
      await page.waitForURL(/\/sessions\/[0-9a-f-]{36}$/);
      const firstSession = new URL(page.url()).pathname.split("/").pop()!;
      await completed.waitFor({ timeout: 30_000 });
      const firstAnswer = await page.getByTestId("assistant-raw").textContent();

      await page.getByTestId("composer-input").fill("#sim tokens=20 rate=0 seed=turn-two\nSecond");
      await page.getByTestId("send-button").click();
      await page.waitForURL(
        (url) => url.pathname.startsWith("/sessions/") && !url.pathname.endsWith(firstSession),
      );
      await completed.waitFor({ timeout: 30_000 });
      const secondSession = new URL(page.url()).pathname.split("/").pop()!;
      const conversations = await page.evaluate(
        async (ids) =>
          Promise.all(
            ids.map(
              async (id) =>
                ((await (await fetch(`/api/sessions/${id}`)).json()) as { conversationId: string })
                  .conversationId,
            ),
          ),
        [firstSession, secondSession],
      );
      expect(conversations[0]).toBe(conversations[1]);
      const turns = page.getByTestId("transcript-turn");
      // The first turn stays on the page (its answer as Markdown: the same words).
      const shown = await turns.allTextContents();
      expect(shown[0]).toContain("First");
      expect(shown[1]?.replace(/\s+/g, "")).toBe(firstAnswer?.replace(/\s+/g, ""));

      await page.reload();
      await completed.waitFor({ timeout: 30_000 });
      await expect.poll(() => turns.count()).toBe(2);
      expect(await page.getByTestId("user-message").textContent()).toContain("Second");
      expect(pageErrors).toEqual([]);
    });
  });

  test("stages=3: the agent's tool calls show as steps while it runs, and the same steps after a reload", async () => {
    const message = "#sim tokens=600 rate=60 seed=agent-steps stages=3";
    const expected = await simulatorText(stack.agentSimUrl, message);
    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      const steps = page.getByTestId("agent-step");
      const completed = page.locator('[data-testid="session-status"][data-status="completed"]');
      const shownSteps = () =>
        steps.evaluateAll((items) =>
          items.map((item) => `${item.querySelector(".agent-step-name")?.textContent}:${item.dataset.state}`),
        );
      await page.goto(`${stack.appUrl}/chat`);
      await page.getByTestId("mode-select").selectOption("live");
      await page.getByTestId("composer-input").fill(message);
      await page.getByTestId("send-button").click();
      await page.waitForURL(/\/sessions\/[0-9a-f-]{36}$/);
      // Live: the first tool call is a step before the answer is whole.
      await steps.first().waitFor({ timeout: 30_000 });
      expect(await shownLength(page, "assistant-raw")).toBeLessThan(expected.length);

      await completed.waitFor({ timeout: 60_000 });
      expect(await page.getByTestId("assistant-raw").textContent()).toBe(expected);
      const live = await shownSteps();
      expect(live).toHaveLength(3);
      for (const step of live) expect(step).toMatch(/^.+:done$/);

      // A reload reads the session from its log: the same three steps, done.
      await page.reload();
      await completed.waitFor({ timeout: 30_000 });
      await expect.poll(shownSteps).toEqual(live);
      expect(await page.getByTestId("assistant-raw").textContent()).toBe(expected);
      expect(pageErrors).toEqual([]);
    });
  });

  async function signInBoth(...pages: Page[]): Promise<void> {
    for (const page of pages) await signIn(page, stack.appUrl, "alice@example.com", "overtime-dev");
  }
});
