import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import { withBrowserStack } from "../support/fixtures.ts";
import { simulatorText } from "./simulator-text.ts";

const TERMINAL = new Set(["completed", "failed", "cancelled"]);

interface Frame {
  length: number;
  /** Rendered height of the output in CSS pixels. */
  height: number;
  status: string | null;
  runner: string | null;
}

/** What the session view shows right now. */
async function readFrame(page: Page): Promise<Frame> {
  return page.evaluate(() => {
    const byTestId = (id: string) => document.querySelector(`[data-testid="${id}"]`);
    return {
      length: byTestId("assistant-raw")?.textContent?.length ?? 0,
      height: byTestId("assistant-output")?.getBoundingClientRect().height ?? 0,
      status: byTestId("session-status")?.getAttribute("data-status") ?? null,
      runner: byTestId("session-runner")?.getAttribute("data-runner") ?? null,
    };
  });
}

/** Records the view every 50 ms until the session ends. */
async function watchUntilFinished(page: Page, timeoutMs = 45_000): Promise<Frame[]> {
  const frames: Frame[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const frame = await readFrame(page);
    frames.push(frame);
    if (frame.status !== null && TERMINAL.has(frame.status)) break;
    await page.waitForTimeout(50);
  }
  return frames;
}

async function send(
  page: Page,
  appUrl: string,
  agent: string,
  message: string,
  mode = "auto",
): Promise<string> {
  await page.goto(`${appUrl}/chat`);
  await page.getByTestId("agent-select").selectOption(agent);
  await page.getByTestId("mode-select").selectOption(mode);
  await page.getByTestId("composer-input").fill(message);
  await page.getByTestId("send-button").click();
  await page.waitForURL(/\/sessions\/[0-9a-f-]{36}$/);
  return new URL(page.url()).pathname.split("/").pop()!;
}

describe("sessions that outlive the live budget, in the browser", () => {
  const { stack, signedInPage } = withBrowserStack({ env: { LIVE_BUDGET_SECONDS: "3" }, worker: "process" });

  test("a detachable agent hands off to the background and the text keeps growing with no jump", async () => {
    const message = "#sim tokens=800 rate=150";
    const expected = await simulatorText(stack.agentSimUrl, message);
    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      await send(page, stack.appUrl, "sim-openai-bg", message);
      const frames = await watchUntilFinished(page);

      expect(frames.at(-1)?.status).toBe("completed");
      const statuses = frames.map((frame) => frame.status);
      expect(statuses).toContain("live");
      expect(statuses).toContain("background");
      expect(frames.some((frame) => frame.runner === "worker")).toBe(true);
      // Never a step back, never an emptied or collapsing view: the handoff is invisible.
      for (let index = 1; index < frames.length; index++) {
        expect(frames[index]!.length).toBeGreaterThanOrEqual(frames[index - 1]!.length);
        expect(frames[index]!.height).toBeGreaterThanOrEqual(frames[index - 1]!.height);
      }
      const firstBackground = frames.findIndex((frame) => frame.status === "background");
      expect(
        frames.slice(firstBackground).some((frame) => frame.length > frames[firstBackground]!.length),
      ).toBe(true);

      expect(await page.getByTestId("assistant-raw").textContent()).toBe(expected);
      expect(await page.getByTestId("seam").count()).toBe(0);
      expect(pageErrors).toEqual([]);
    });
  });

  test("a connection-bound agent interrupted at the budget continues in the background with the seam marked", async () => {
    const message = "#sim tokens=800 rate=150";
    await signedInPage("alice@example.com", async ({ page, pageErrors }) => {
      const sessionId = await send(page, stack.appUrl, "sim-chat", message, "live").catch(async () => {
        throw new Error(`the chat did not start: ${await page.getByTestId("chat-error").textContent()}`);
      });
      const frames = await watchUntilFinished(page);

      expect(frames.at(-1)?.status).toBe("completed");
      for (let index = 1; index < frames.length; index++) {
        expect(frames[index]!.length).toBeGreaterThanOrEqual(frames[index - 1]!.length);
      }
      await page.getByTestId("seam").waitFor({ timeout: 10_000 });
      const snapshot = await page.evaluate(async (id) => {
        const response = await fetch(`/api/sessions/${id}`, { cache: "no-store" });
        return (await response.json()) as { output: string; seams: number[] };
      }, sessionId);
      expect(snapshot.seams.length).toBe(1);
      expect(await page.getByTestId("seam").count()).toBe(1);
      expect(await page.getByTestId("assistant-raw").textContent()).toBe(snapshot.output);
      expect(pageErrors).toEqual([]);
    });
  });
});
