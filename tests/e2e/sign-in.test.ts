import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { launchBrowser, newPage, signIn } from "../support/browser.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";

const PASSWORD = "overtime-dev";

describe("signing in through the browser", () => {
  let stack: TestStack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  test("a signed-out visit to / is sent to /sign-in", async () => {
    const { page, pageErrors, close } = await newPage(browser);
    try {
      await page.goto(`${stack.appUrl}/`);
      await page.waitForURL(`${stack.appUrl}/sign-in`);
      await expect(page.getByRole("heading", { name: "Sign in" }).isVisible()).resolves.toBe(true);
      expect(pageErrors).toEqual([]);
    } finally {
      await close();
    }
  });

  test("Alice signs in and sees her empty sessions page with her email in the header", async () => {
    const { page, pageErrors, close } = await newPage(browser);
    try {
      await signIn(page, stack.appUrl, "alice@example.com", PASSWORD);
      await page.getByTestId("sessions-empty").waitFor();
      expect(await page.getByTestId("user-email").textContent()).toBe("alice@example.com");
      expect(pageErrors).toEqual([]);
    } finally {
      await close();
    }
  });

  test("a wrong password shows an error and stays on the sign-in page", async () => {
    const { page, pageErrors, close } = await newPage(browser);
    try {
      await page.goto(`${stack.appUrl}/sign-in`);
      await page.getByLabel("Email").fill("alice@example.com");
      await page.getByLabel("Password").fill("not-her-password");
      await page.getByRole("button", { name: "Sign in" }).click();
      const error = page.getByTestId("sign-in-error");
      await error.waitFor();
      expect(await error.getAttribute("role")).toBe("alert");
      expect((await error.textContent())?.trim()).not.toBe("");
      expect(new URL(page.url()).pathname).toBe("/sign-in");
      expect(await page.getByTestId("user-email").count()).toBe(0);
      expect(pageErrors).toEqual([]);
    } finally {
      await close();
    }
  });

  test("signing out returns to /sign-in and / is closed again", async () => {
    const { page, pageErrors, close } = await newPage(browser);
    try {
      await signIn(page, stack.appUrl, "alice@example.com", PASSWORD);
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(`${stack.appUrl}/sign-in`);
      await page.goto(`${stack.appUrl}/`);
      await page.waitForURL(`${stack.appUrl}/sign-in`);
      expect(await page.getByTestId("user-email").count()).toBe(0);
      expect(pageErrors).toEqual([]);
    } finally {
      await close();
    }
  });
});
