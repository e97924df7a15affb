import { describe, expect, test } from "vitest";
import { withBrowserStack } from "../support/fixtures.ts";

describe("signing in through the browser", () => {
  const { stack, freshPage, signedInPage } = withBrowserStack();

  test("a signed-out visit to / is sent to /sign-in", async () => {
    await freshPage(async ({ page, pageErrors }) => {
      await page.goto(`${stack.appUrl}/`);
      await page.waitForURL(`${stack.appUrl}/sign-in`);
      await expect(page.getByRole("heading", { name: "Sign in" }).isVisible()).resolves.toBe(true);
      expect(pageErrors).toEqual([]);
    });
  });

  test("Alice signs in and sees her empty sessions page with her email in the header", async () => {
    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      await page.getByTestId("sessions-empty").waitFor();
      expect(await page.getByTestId("user-email").textContent()).toBe("alice@example.com");
      expect(pageErrors).toEqual([]);
    });
  });

  test("a wrong password shows an error and stays on the sign-in page", async () => {
    await freshPage(async ({ page, pageErrors }) => {
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
    });
  });

  test("signing out returns to /sign-in and / is closed again", async () => {
    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(`${stack.appUrl}/sign-in`);
      await page.goto(`${stack.appUrl}/`);
      await page.waitForURL(`${stack.appUrl}/sign-in`);
      expect(await page.getByTestId("user-email").count()).toBe(0);
      expect(pageErrors).toEqual([]);
    });
  });
});
