import { type Browser, chromium, type Page } from "playwright-core";
import { chromiumPath } from "./chromium.ts";

/** Headless Chromium (the Debian package), flags chosen for containers and quiet networks. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export interface TestPage {
  page: Page;
  /** Uncaught exceptions in the page: a correct app has none. */
  pageErrors: string[];
  /** `console.error` lines, including the browser's own "Failed to load resource" for 4xx answers. */
  consoleErrors: string[];
  close(): Promise<void>;
}

/** A page in its own browser context (own cookies), with its errors collected. */
export async function newPage(browser: Browser): Promise<TestPage> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(error.stack ?? error.message));
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  return { page, pageErrors, consoleErrors, close: () => context.close() };
}

/** Signs in through the form at /sign-in and waits for the signed-in home page. */
export async function signIn(page: Page, appUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${appUrl}/sign-in`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${appUrl}/`);
  await page.getByTestId("user-email").waitFor();
}
