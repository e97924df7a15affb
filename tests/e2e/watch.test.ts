import { expect, test } from "vitest";
import { withBrowserStack } from "../support/fixtures.ts";

const { stack, signedInPage } = withBrowserStack();

type Recorded = { watchPosts: string[] };

test("the sessions list repeats its watch every 30 s while the tab is visible, stops while it is hidden, and resumes when it is shown", async () => {
  await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
    // Each watch post, recorded in the page as it is made, with the tab's visibility at that moment.
    await page.addInitScript(() => {
      const recorded = window as unknown as Recorded;
      recorded.watchPosts = [];
      const original = window.fetch.bind(window);
      window.fetch = (input, init) => {
        const url = input instanceof Request ? input.url : String(input);
        if (init?.method === "POST" && new URL(url, location.href).pathname === "/api/sessions/watch")
          recorded.watchPosts.push(document.visibilityState);
        return original(input, init);
      };
    });
    // The page's timers run on a clock the test moves: minutes pass without waiting for them.
    await page.clock.install();
    await page.goto(`${stack.appUrl}/`);
    await page.getByRole("heading", { name: "Sessions" }).waitFor();
    const posts = () => page.evaluate(() => (window as unknown as Recorded).watchPosts);
    const setVisibility = (state: "hidden" | "visible") =>
      page.evaluate((value) => {
        Object.defineProperty(document, "visibilityState", { configurable: true, get: () => value });
        document.dispatchEvent(new Event("visibilitychange"));
      }, state);

    await expect.poll(posts).toEqual(["visible"]);
    await page.clock.runFor(30_000);
    expect(await posts()).toEqual(["visible", "visible"]);
    await setVisibility("hidden");
    await page.clock.runFor(120_000);
    expect(await posts()).toEqual(["visible", "visible"]);
    // Shown again: a post at once, then every 30 s again.
    await setVisibility("visible");
    expect(await posts()).toEqual(["visible", "visible", "visible"]);
    await page.clock.runFor(30_000);
    expect(await posts()).toEqual(["visible", "visible", "visible", "visible"]);
    expect(pageErrors).toEqual([]);
  });
});
