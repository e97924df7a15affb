import { expect, test } from "vitest";
import { signIn } from "../support/browser.ts";
import { withBrowserStack } from "../support/fixtures.ts";
import { simulatorText } from "./simulator-text.ts";

// Not the first agent in the list: the page must take the default from /api/agents.
const { stack, freshPage } = withBrowserStack({ env: { DEFAULT_AGENT: "sim-anthropic" }, worker: "process" });

test("the page starts with the server's default agent; following a background session reads its snapshot once, then only events", async () => {
  const message = "#sim tokens=1200 rate=80 seed=follow";
  const expected = await simulatorText(stack.agentSimUrl, message);
  await freshPage(async ({ page, pageErrors }) => {
    const snapshotReads: string[] = [];
    page.on("request", (request) => {
      if (/\/api\/sessions\/[0-9a-f-]{36}$/.test(new URL(request.url()).pathname))
        snapshotReads.push(request.url());
    });
    await signIn(page, stack.appUrl, "alice@example.com", "overtime-dev");
    await page.goto(`${stack.appUrl}/chat`);
    await page.locator('[data-testid="agent-select"]:not([disabled])').waitFor();
    expect(await page.getByTestId("agent-select").inputValue()).toBe("sim-anthropic");
    await page.getByTestId("composer-input").fill(message);
    await page.getByTestId("mode-select").selectOption("background");
    await page.getByTestId("send-button").click();
    await page.waitForURL(/\/sessions\/[0-9a-f-]{36}$/);
    // The runner arrives in a `status` event: nothing re-reads the snapshot to learn it.
    await page.locator('[data-testid="session-runner"][data-runner="worker"]').waitFor({ timeout: 15_000 });
    await page.waitForTimeout(2000);
    await page.reload();
    await page
      .locator('[data-testid="session-status"][data-status="completed"]')
      .waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("assistant-raw").textContent()).toBe(expected);
    await page.getByTestId("usage-footer").waitFor();
    // One snapshot, by the reload; a session of about 15 s polled every 5 s would have read several.
    expect(snapshotReads).toHaveLength(1);
    expect(pageErrors).toEqual([]);
  });
});
