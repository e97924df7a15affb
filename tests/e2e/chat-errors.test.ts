import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import { withBrowserStack } from "../support/fixtures.ts";

const REQUESTS_PER_MINUTE = 3;

async function typeAndSend(page: Page, message: string): Promise<void> {
  await page.getByTestId("composer-input").fill(message);
  await page.getByTestId("send-button").click();
}

async function errorShown(page: Page): Promise<{ code: string | null; text: string }> {
  const error = page.getByTestId("chat-error");
  await error.waitFor({ timeout: 20_000 });
  return { code: await error.getAttribute("data-code"), text: (await error.textContent()) ?? "" };
}

describe("chat errors, as the user sees them", () => {
  const { stack, signedInPage } = withBrowserStack({
    env: { CHAT_REQUESTS_PER_MINUTE: String(REQUESTS_PER_MINUTE) },
  });

  test("a new account without credits is told its balance and keeps its message", async () => {
    const email = `carol-${Date.now()}@example.com`;
    const signup = await fetch(`${stack.supabaseUrl}/auth/v1/signup`, {
      method: "POST",
      headers: { "content-type": "application/json", apikey: stack.env.SUPABASE_ANON_KEY ?? "" },
      body: JSON.stringify({ email, password: "carol-password" }),
    });
    expect(signup.status).toBe(200);
    await signedInPage({ email: email, password: "carol-password" }, async ({ page, pageErrors }) => {
      await page.goto(`${stack.appUrl}/chat`);
      await typeAndSend(page, "Summarise the report");
      const error = await errorShown(page);
      expect(error.code).toBe("payment_required:credits");
      expect(error.text).toContain("balance is 0 credits");
      expect(new URL(page.url()).pathname).toBe("/chat");
      expect(await page.getByTestId("composer-input").inputValue()).toBe("Summarise the report");
      expect(await page.getByTestId("assistant-output").count()).toBe(0);
      expect(pageErrors).toEqual([]);
    });
  });

  test("a session that fails mid-stream shows the agent's error and keeps the partial output", async () => {
    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      await page.goto(`${stack.appUrl}/chat`);
      await typeAndSend(page, "#sim tokens=200 rate=100 fault=failed@50");
      const error = await errorShown(page);
      expect(error.text).toContain("failed");
      await page.locator('[data-testid="session-status"][data-status="failed"]').waitFor();
      const partial = (await page.getByTestId("assistant-raw").textContent()) ?? "";
      expect(partial.length).toBeGreaterThan(0);
      expect(pageErrors).toEqual([]);
    });
  });

  test("past the per-minute limit the user is told how long to wait", async () => {
    await signedInPage("bob@example.com", async ({ page, pageErrors }) => {
      let error: { code: string | null; text: string } | null = null;
      for (let attempt = 0; attempt <= REQUESTS_PER_MINUTE && error === null; attempt++) {
        await page.goto(`${stack.appUrl}/chat`);
        await typeAndSend(page, "#sim tokens=5 rate=0");
        await Promise.race([
          page.getByTestId("chat-error").waitFor({ timeout: 20_000 }),
          page
            .locator('[data-testid="session-status"][data-status="completed"]')
            .waitFor({ timeout: 20_000 }),
        ]);
        if ((await page.getByTestId("chat-error").count()) > 0) error = await errorShown(page);
      }
      expect(error?.code).toMatch(/^rate_limit:/);
      expect(error?.text).toMatch(/Try again in \d+ s\./);
      expect(pageErrors).toEqual([]);
    });
  });
});
