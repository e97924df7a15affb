import type { Page } from "playwright-core";
import { expect, test } from "vitest";
import { waitFor } from "../support/api.ts";
import { withBrowserStack } from "../support/fixtures.ts";

const { stack, signedInPage, user } = withBrowserStack({ worker: "stack", signIn: "alice@example.com" });

type Recorded = { watchPosts: { path: string; visibility: string }[] };

/**
 * Records in the page each watch it posts (`/api/sessions/watch`, `/api/sessions/<id>/watch`), as it
 * is made, with the tab's visibility at that moment; the page's timers then run on a clock the test
 * moves, so minutes pass without waiting for them. Returns what reads the posts to `path`.
 */
async function recordWatchPosts(page: Page, path: string): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const recorded = window as unknown as Recorded;
    recorded.watchPosts = [];
    const original = window.fetch.bind(window);
    window.fetch = (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      const { pathname } = new URL(url, location.href);
      if (init?.method === "POST" && /^\/api\/sessions\/(?:[^/]+\/)?watch$/.test(pathname))
        recorded.watchPosts.push({ path: pathname, visibility: document.visibilityState });
      return original(input, init);
    };
  });
  await page.clock.install();
  return () =>
    page.evaluate(
      (wanted) =>
        (window as unknown as Recorded).watchPosts
          .filter((post) => post.path === wanted)
          .map((post) => post.visibility),
      path,
    );
}

test("the sessions list repeats its watch every 30 s while the tab is visible, stops while it is hidden, and resumes when it is shown", async () => {
  await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
    const posts = await recordWatchPosts(page, "/api/sessions/watch");
    await page.goto(`${stack.appUrl}/`);
    await page.getByRole("heading", { name: "Sessions" }).waitFor();
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

test("the chat page following a running session posts its watch once every 30 s, not once per poster", async () => {
  // About four minutes of output: the session runs through the whole check.
  const sessionId = await user.startBackground({
    message: "#sim tokens=5000 rate=20 seed=watch-once",
    agent: "sim-openai-bg",
  });
  try {
    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      const posts = await recordWatchPosts(page, `/api/sessions/${sessionId}/watch`);
      await page.goto(`${stack.appUrl}/sessions/${sessionId}`);
      // The transport follows the session: its text arrives.
      await expect
        .poll(async () => (await page.getByTestId("assistant-raw").textContent()) ?? "", { timeout: 30_000 })
        .not.toBe("");
      await expect.poll(posts, { timeout: 15_000 }).toEqual(["visible"]);
      // Three 30 s periods of a visible tab: one post each, from one poster (two would post six).
      await page.clock.runFor(90_000);
      expect(await posts()).toEqual(["visible", "visible", "visible", "visible"]);
      // Still running: the transport followed it all along.
      expect(await page.getByTestId("session-status").getAttribute("data-status")).not.toBe("completed");
      expect(pageErrors).toEqual([]);
    });
  } finally {
    await user.cancel(sessionId);
  }
});

test("the chat page showing a session it no longer follows (finished) keeps posting its watch every 30 s", async () => {
  const sessionId = await user.startBackground({
    message: "#sim tokens=20 rate=0 seed=watch-finished",
    agent: "sim-openai-bg",
  });
  await waitFor(async () => {
    const snapshot = (await (await user.snapshot(sessionId)).json()) as { status: string };
    return snapshot.status === "completed" ? true : undefined;
  });
  await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
    const posts = await recordWatchPosts(page, `/api/sessions/${sessionId}/watch`);
    await page.goto(`${stack.appUrl}/sessions/${sessionId}`);
    await page.locator('[data-testid="session-status"][data-status="completed"]').waitFor();
    // One post from the transport while it read the session's stream, one from the page once it ended.
    await expect.poll(posts, { timeout: 15_000 }).toEqual(["visible", "visible"]);
    await page.clock.runFor(30_000);
    expect(await posts()).toEqual(["visible", "visible", "visible"]);
    await page.clock.runFor(30_000);
    expect(await posts()).toEqual(["visible", "visible", "visible", "visible"]);
    expect(pageErrors).toEqual([]);
  });
});
