import type { Browser } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { launchBrowser } from "../support/browser.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";

export interface BrowserStack {
  stack: TestStack;
  browser: Browser;
}

/**
 * The product with a local worker (background sessions and their notifications) and a Chromium,
 * started before the file's tests and released after them. Call at the top level of the file; the
 * fields are set once `beforeAll` ran.
 */
export function browserStack(): BrowserStack {
  const started: Partial<BrowserStack> = {};
  beforeAll(async () => {
    started.stack = await startTestStack({ env: { CHAT_REQUESTS_PER_MINUTE: "1000" } });
    await started.stack.startWorker();
    started.browser = await launchBrowser();
  });
  afterAll(async () => {
    await started.browser?.close();
    await started.stack?.close();
  });
  return started as BrowserStack;
}
