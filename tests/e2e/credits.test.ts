import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import { withBrowserStack } from "../support/fixtures.ts";

async function typeAndSend(page: Page, message: string): Promise<void> {
  await page.getByTestId("composer-input").fill(message);
  await page.getByTestId("send-button").click();
}

describe("credits in the UI", () => {
  const { stack, sql, signedInPage } = withBrowserStack({
    env: { LIVE_BUDGET_SECONDS: "3", LEASE_SECONDS: "5" },
    worker: "stack",
    sql: 1,
  });

  test("the composer offers Max credits for background runs, and a capped run stops at it", async () => {
    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      await page.goto(`${stack.appUrl}/chat`);
      expect(await page.getByTestId("max-credits-input").count()).toBe(0);
      await page.getByTestId("agent-select").selectOption("sim-anthropic");
      await page.getByTestId("mode-select").selectOption("background");
      await page.getByTestId("max-credits-input").fill("2");
      await typeAndSend(page, "#sim tokens=20000 rate=2000 seed=ui-cap\nCapped from the UI");
      await page.locator('[data-testid="session-status"][data-status="failed"]').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId("chat-error").getAttribute("data-code")).toBe("payment_required:credits");
      expect(((await page.getByTestId("assistant-raw").textContent()) ?? "").length).toBeGreaterThan(0);
      const [session] = await sql`select max_credits from sessions order by created_at desc limit 1`;
      expect(session!.max_credits).toBe(2);
      expect(pageErrors).toEqual([]);
    });
  });

  test("the session page shows the cost so far while running, and estimated usage when it ends", async () => {
    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      await page.goto(`${stack.appUrl}/chat`);
      await page.getByTestId("agent-select").selectOption("sim-openclaw");
      // OpenClaw reports no usage for the live run cut at the budget: the session's usage is estimated.
      await typeAndSend(page, "#sim tokens=3000 rate=300 seed=ui-cost\nCost so far");
      const cost = page.getByTestId("session-cost");
      await cost.waitFor({ timeout: 20_000 });
      expect(await cost.textContent()).toMatch(/^\d+(\.\d{1,2})? credits? so far$/);
      await page
        .locator('[data-testid="session-status"][data-status="completed"]')
        .waitFor({ timeout: 60_000 });
      await page.getByTestId("usage-estimated").waitFor({ timeout: 10_000 });
      expect(await page.getByTestId("usage-footer").textContent()).toContain("(estimated)");
      expect(pageErrors).toEqual([]);
    });
  });
});
