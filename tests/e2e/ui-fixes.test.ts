// What a user saw on the landed pages (issue 18, "Fix on the way"): a token count stuck at the
// agent's first report, `/sessions` a 404, and a settings page whose checkboxes sat above their
// labels, whose table had no spacing and whose Telegram switch showed ticked with nothing linked.
// Layout is asserted on bounding boxes in Chromium, not on screenshots.
import type { Locator, Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import { api, readSse, signIn as signInApi, waitFor } from "../support/api.ts";
import { withBrowserStack } from "../support/fixtures.ts";

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The box around the text an element shows (its own text nodes and its children's), not the element's. */
function textBox(element: Locator): Promise<Box> {
  return element.evaluate((root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const box = { left: Infinity, right: -Infinity, top: Infinity, bottom: -Infinity };
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent?.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const rect = range.getBoundingClientRect();
      box.left = Math.min(box.left, rect.left);
      box.right = Math.max(box.right, rect.right);
      box.top = Math.min(box.top, rect.top);
      box.bottom = Math.max(box.bottom, rect.bottom);
    }
    return box;
  });
}

async function elementBox(element: Locator): Promise<Box> {
  const box = await element.boundingBox();
  if (!box) throw new Error("the element is not rendered");
  return { left: box.x, right: box.x + box.width, top: box.y, bottom: box.y + box.height };
}

/** The words of the answer on screen and what the status bar says about tokens, read at one moment. */
function tokensBesideWords(page: Page): Promise<{ words: number; figure: string | null }> {
  return page.evaluate(() => {
    const raw = document.querySelector('[data-testid="assistant-raw"]')?.textContent ?? "";
    const bar = document.querySelector('[data-testid="session-bar"]');
    const figure = [...(bar?.querySelectorAll("span") ?? [])]
      .map((span) => span.textContent ?? "")
      .find((text) => /\btokens?$/.test(text));
    return { words: raw.split(/\s+/).filter(Boolean).length, figure: figure ?? null };
  });
}

/** The count in "about 1,234 tokens"; fails on a reported or missing figure. */
function estimatedTokens(figure: string | null): number {
  const match = /^about ([\d,]+) tokens?$/.exec(figure ?? "");
  if (!match?.[1]) throw new Error(`the status bar says ${JSON.stringify(figure)}, not "about N tokens"`);
  return Number(match[1].replaceAll(",", ""));
}

describe("what the landed pages showed wrong, fixed", () => {
  const { stack, signedInPage, freshPage } = withBrowserStack();

  test.each(["sim-openclaw", "sim-anthropic"])(
    "mid-stream, the status bar's token figure (%s) is about the words on screen and moves as text arrives",
    async (agent) => {
      await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
        await page.goto(`${stack.appUrl}/chat`);
        await page.locator('[data-testid="agent-select"]:not([disabled])').waitFor();
        await page.getByTestId("agent-select").selectOption(agent);
        await page.getByTestId("composer-input").fill(`#sim tokens=4000 rate=40 seed=figure-${agent}`);
        await page.getByTestId("send-button").click();
        await page.waitForURL(/\/sessions\/[0-9a-f-]{36}$/);

        const first = await waitFor(async () => {
          const seen = await tokensBesideWords(page);
          return seen.words >= 120 ? seen : undefined;
        });
        const early = estimatedTokens(first.figure);
        // Simulator words are a few letters each: a token estimate from 4 bytes a token lies near them.
        expect(early).toBeGreaterThanOrEqual(first.words / 2);
        expect(early).toBeLessThanOrEqual(first.words * 3);

        const later = await waitFor(async () => {
          const seen = await tokensBesideWords(page);
          return seen.words >= first.words + 80 ? seen : undefined;
        });
        const moved = estimatedTokens(later.figure);
        expect(moved).toBeGreaterThan(early);
        expect(moved).toBeGreaterThanOrEqual(later.words / 2);

        await page.getByTestId("stop-button").click();
        await page.locator('[data-testid="session-status"][data-status="cancelled"]').waitFor();
        expect(pageErrors).toEqual([]);
      });
    },
  );

  test("/sessions lists the user's sessions, as / does, and sends a signed-out visitor to sign in", async () => {
    const alice = api(stack.appUrl, await signInApi(stack.supabaseUrl, "alice@example.com"));
    const answer = await alice.chat({ message: "#sim tokens=20 rate=0\nList me under /sessions" });
    expect(answer.status).toBe(200);
    const events = await readSse(answer);
    const { sessionId } = JSON.parse(events.find((event) => event.event === "session")?.data ?? "{}");
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);

    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      const response = await page.goto(`${stack.appUrl}/sessions`);
      expect(response?.status()).toBe(200);
      const row = page.locator(`[data-testid="session-row"][data-session-id="${sessionId}"]`);
      await row.waitFor();
      expect(await row.getByRole("link").textContent()).toContain("List me under /sessions");
      await row.getByRole("link").click();
      await page.waitForURL(`${stack.appUrl}/sessions/${sessionId}`);
      expect(pageErrors).toEqual([]);
    });
    await freshPage(async ({ page }) => {
      await page.goto(`${stack.appUrl}/sessions`);
      await page.waitForURL(`${stack.appUrl}/sign-in`);
    });
  });

  /** Alice's settings page with one notification in its table (a test send, queued: no sender runs here). */
  async function settingsWithOneNotification(page: Page): Promise<void> {
    await page.goto(`${stack.appUrl}/settings`);
    await page.getByRole("button", { name: "Send a test notification by email" }).click();
    await page.getByTestId("notifications").locator("tbody td").first().waitFor();
  }

  test("/settings: each checkbox sits beside its label, at the left edge", async () => {
    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      await settingsWithOneNotification(page);
      for (const name of [/Email me at alice@example.com/, /Message me on Telegram/]) {
        const checkbox = page.getByRole("checkbox", { name });
        const label = page.locator("label", { has: checkbox });
        const [box, text, whole] = [
          await elementBox(checkbox),
          await textBox(label),
          await elementBox(label),
        ];
        expect(box.right, `${name}: box left of its text`).toBeLessThanOrEqual(text.left);
        expect(box.bottom > text.top && box.top < text.bottom, `${name}: box level with its text`).toBe(true);
        expect(box.left - whole.left, `${name}: box at the left edge`).toBeLessThan(4);
      }
      expect(pageErrors).toEqual([]);
    });
  });

  test("/settings: the notifications table's cells are padded, so their texts stand apart", async () => {
    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      await settingsWithOneNotification(page);
      const rows = page.getByTestId("notifications").locator("tbody tr");
      for (let r = 0; r < (await rows.count()); r++) {
        const cells = rows.nth(r).locator("td");
        expect(await cells.count()).toBe(5);
        for (let c = 0; c + 1 < 5; c++) {
          const gap = (await textBox(cells.nth(c + 1))).left - (await textBox(cells.nth(c))).right;
          expect(gap, `row ${r}, after column ${c}`).toBeGreaterThanOrEqual(8);
        }
        // Chromium's own cell padding is 1px.
        const padding = await cells.first().evaluate((cell) => getComputedStyle(cell).paddingTop);
        expect(Number.parseFloat(padding)).toBeGreaterThan(1);
      }
      expect(pageErrors).toEqual([]);
    });
  });

  test("/settings: with Telegram not linked, its switch is unticked and disabled, saying to link it first", async () => {
    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      await page.goto(`${stack.appUrl}/settings`);
      await page.getByText("Not linked.").waitFor();
      const telegram = page.getByRole("checkbox", { name: /Message me on Telegram/ });
      expect(await telegram.isChecked()).toBe(false);
      expect(await telegram.isDisabled()).toBe(true);
      expect(await page.locator("label", { has: telegram }).textContent()).toContain("link Telegram first");
      // The stored switch is untouched: linking Telegram is what turns the messages on.
      const settings = await page.evaluate(async () => (await fetch("/api/settings")).json());
      expect(settings).toMatchObject({ notifyTelegram: true, telegram: { linked: false } });
      expect(pageErrors).toEqual([]);
    });
  });
});
