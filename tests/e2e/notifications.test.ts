import { describe, expect, test } from "vitest";
import { api, signIn as signInApi, waitFor } from "../support/api.ts";
import { signIn } from "../support/browser.ts";
import { withBrowserStack } from "../support/fixtures.ts";
import { type InboxMessage, inboxMessages } from "../support/inbox.ts";

const { stack, newPage, freshPage, signedInPage } = withBrowserStack({
  env: { CHAT_REQUESTS_PER_MINUTE: "1000" },
  worker: "stack",
});

const inbox = () => inboxMessages(stack.inbox);

describe("notifications in the browser", () => {
  let completedEmail: InboxMessage | undefined;
  let sessionUrl = "";

  test("link Telegram from the settings page, press the deep link in the inbox, and the next background session notifies that chat", async () => {
    const chatId = 820_001;
    const settings = await newPage();
    const inboxPage = await newPage();
    try {
      const { page } = settings;
      await signIn(page, stack.appUrl, "bob@example.com", "overtime-dev");
      await page.getByTestId("settings-link").click();
      await page.waitForURL(`${stack.appUrl}/settings`);
      await page.getByText("Not linked.").waitFor();
      await page.getByRole("button", { name: "Link Telegram" }).click();
      const deepLink = await page.getByTestId("telegram-deep-link").getAttribute("href");
      expect(deepLink).toMatch(/^https:\/\/t\.me\/overtime_dev_bot\?start=[A-Za-z0-9_-]{43}$/);

      await inboxPage.page.goto(stack.inbox.url);
      await inboxPage.page.getByLabel("Telegram deep link").fill(deepLink as string);
      await inboxPage.page.getByLabel("Chat id").fill(String(chatId));
      await inboxPage.page.getByLabel("Username").fill("bob_tg");
      await inboxPage.page.getByRole("button", { name: "Press START" }).click();
      await inboxPage.page.getByText("Delivered to the webhook (200)").waitFor();

      // The settings page notices the link by itself.
      await page.getByText("Linked as @bob_tg").waitFor({ timeout: 15_000 });

      const bob = api(stack.appUrl, await signInApi(stack.supabaseUrl, "bob@example.com"));
      const started = await bob.chat({
        message: "#sim tokens=120 rate=0\nWrite the quarterly report",
        mode: "background",
      });
      expect(started.status).toBe(202);
      const { sessionId } = (await started.json()) as { sessionId: string };
      sessionUrl = `${stack.appUrl}/sessions/${sessionId}`;

      const [telegram, email] = await waitFor(async () => {
        const all = await inbox();
        const toChat = all.filter((message) => message.to === String(chatId) && message.replyMarkup !== null);
        const toBob = all.filter((message) => message.to === "bob@example.com");
        return toChat.length >= 1 && toBob.length >= 1 ? ([toChat, toBob] as const) : undefined;
      });
      expect(telegram).toHaveLength(1);
      expect(email).toHaveLength(1);
      expect(telegram[0]?.text).toContain("Write the quarterly report");
      expect(telegram[0]?.replyMarkup).toEqual({
        inline_keyboard: [[{ text: "Open result", url: sessionUrl }]],
      });
      expect(email[0]?.subject).toBe("Finished: Write the quarterly report");
      completedEmail = email[0];

      // The settings page lists both deliveries as sent.
      await page.getByTestId("notifications").getByText("completed").first().waitFor();
      await waitFor(async () =>
        (await page.getByTestId("notifications").getByText("sent").count()) === 2 ? true : undefined,
      );
      expect(settings.pageErrors).toEqual([]);
      expect(inboxPage.pageErrors).toEqual([]);
    } finally {
      await settings.close();
      await inboxPage.close();
    }
  });

  test("the email's HTML rendered in Chromium links to the session, and its text version holds the same facts", async () => {
    expect(completedEmail?.html).toBeTruthy();
    await freshPage(async ({ page }) => {
      await page.setContent(completedEmail?.html as string);
      const button = page.getByRole("link", { name: "Open the session" });
      expect(await button.getAttribute("href")).toBe(sessionUrl);
      expect(await page.getByRole("link", { name: "Notification settings" }).getAttribute("href")).toBe(
        `${stack.appUrl}/settings`,
      );
      const paragraphs = await page.locator("p").allTextContents();
      const facts = paragraphs.filter((line) => /^(Agent|Duration|Tokens|Cost): /.test(line.trim()));
      expect(facts).toHaveLength(4);
      const text = completedEmail?.text ?? "";
      for (const fact of [...facts, "Write the quarterly report"]) {
        expect(text).toContain(fact.trim());
      }
      // The plain-text rendering writes headings in capitals.
      expect(text).toContain("YOUR SESSION FINISHED");
      expect(text).toContain(sessionUrl);
    });
  });

  test("the settings page switches channels, sends test notifications and unlinks Telegram", async () => {
    await signedInPage("bob@example.com", async ({ page, pageErrors }) => {
      await page.goto(`${stack.appUrl}/settings`);
      await page.getByRole("button", { name: "Send a test notification on Telegram" }).click();
      await page.getByRole("button", { name: "Send a test notification by email" }).click();
      await waitFor(async () => {
        const tests = page.getByTestId("notifications").locator("tr", { hasText: "test" });
        return (await tests.count()) === 2 && (await tests.filter({ hasText: "sent" }).count()) === 2
          ? true
          : undefined;
      });
      expect(
        (await inbox()).filter((message) => message.subject === "Test notification from Overtime"),
      ).toHaveLength(1);

      const email = page.getByRole("checkbox", { name: /Email me at bob@example.com/ });
      await email.uncheck();
      await page.reload();
      await page.getByText("Linked as @bob_tg").waitFor();
      expect(await page.getByRole("checkbox", { name: /Email me at/ }).isChecked()).toBe(false);
      await page.getByRole("checkbox", { name: /Email me at/ }).check();

      await page.getByRole("button", { name: "Unlink" }).click();
      await page.getByText("Not linked.").waitFor();
      expect(pageErrors).toEqual([]);
    });
  });

  test("sign in by magic link: the email lands in the inbox and its link signs in this browser", async () => {
    await freshPage(async ({ page, pageErrors }) => {
      await page.goto(`${stack.appUrl}/sign-in`);
      await page.getByLabel("Email").fill("alice@example.com");
      await page.getByRole("button", { name: "Email me a sign-in link" }).click();
      await page.getByTestId("magic-link-sent").waitFor();
      const link = await waitFor(async () => {
        const mail = (await inbox()).find(
          (message) => message.to === "alice@example.com" && message.subject === "Your Magic Link",
        );
        return /(http\S+\/auth\/v1\/verify\?\S+)/.exec(mail?.text ?? "")?.[1];
      });
      await page.goto(link);
      await page.getByTestId("user-email").waitFor();
      expect(await page.getByTestId("user-email").textContent()).toBe("alice@example.com");
      expect(pageErrors).toEqual([]);
    });
  });
});
