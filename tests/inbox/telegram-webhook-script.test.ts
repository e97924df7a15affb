import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Inbox, inboxCredentials, startInbox } from "../../dev/inbox/server.ts";
import { parseEnv } from "../../lib/env.ts";

const root = path.resolve(import.meta.dirname, "..", "..");
let inbox: Inbox;

beforeAll(async () => {
  inbox = await startInbox({ port: 0, ...inboxCredentials(parseEnv({})) });
});
afterAll(async () => {
  await inbox?.close();
});

test("npm run telegram:webhook registers APP_URL/api/telegram/webhook and the secret with setWebhook", async () => {
  const { stdout } = await promisify(execFile)(
    path.join(root, "node_modules", ".bin", "tsx"),
    [path.join(root, "scripts", "telegram-webhook.ts")],
    {
      env: {
        ...process.env,
        APP_URL: "https://overtime.example",
        TELEGRAM_API_ROOT: inbox.telegramApiRoot,
        TELEGRAM_WEBHOOK_SECRET: "prod_secret-1",
      },
    },
  );
  expect(stdout).toContain("https://overtime.example/api/telegram/webhook");
  expect(inbox.telegram.webhook).toEqual({
    url: "https://overtime.example/api/telegram/webhook",
    secretToken: "prod_secret-1",
  });
  // The bot's commands are registered with setMyCommands (what /help lists).
  expect(inbox.telegram.commands.map((entry) => entry.command)).toEqual([
    "new",
    "agent",
    "stop",
    "help",
    "unlink",
  ]);
});
