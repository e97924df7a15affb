import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { runInMockTaskContext } from "@trigger.dev/core/v3/test";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Inbox, inboxCredentials, startInbox } from "../../dev/inbox/server.ts";
import { createSql, type Sql } from "../../lib/db/client.ts";
import { parseEnv } from "../../lib/env.ts";
import { dispatchSessionNotifications } from "../../lib/notify/dispatch.ts";
import { createUser, endSession, inboxFor } from "../notify/fixture.ts";
import { createTestDatabase } from "../support/database.ts";
import { type LoadedTask, loadTriggerTask } from "../support/trigger-task.ts";

const database = await createTestDatabase();
let inbox: Inbox;
let sql: Sql;
let task: LoadedTask<{ sent: number }>;

beforeAll(async () => {
  inbox = await startInbox({ port: 0, ...inboxCredentials(parseEnv({})) });
  // The task reads its settings from the environment, as it would on Trigger.dev.
  process.env.DATABASE_URL = database.url;
  process.env.RESEND_BASE_URL = inbox.resendBaseUrl;
  process.env.TELEGRAM_API_ROOT = inbox.telegramApiRoot;
  sql = createSql(database.url, 2);
  task = await loadTriggerTask<{ sent: number }>("trigger/send-notification.ts", "send-notification");
});

afterAll(async () => {
  await sql?.end();
  await inbox?.close();
  await database.drop();
});

test("the send-notification task sends the notification it was given", async () => {
  const user = await createUser(sql, "task");
  const sessionId = await endSession(sql, { userId: user.id, runner: "trigger", output: "ok" });
  const [row] = await sql<{ id: string }[]>`select id from notifications where session_id = ${sessionId}`;
  const output = await runInMockTaskContext(
    async ({ ctx }) =>
      task.run(await task.parsePayload({ notificationId: row!.id }), {
        ctx,
        signal: new AbortController().signal,
      }),
    { ctx: { run: { id: "run_notify_1" } } },
  );
  expect(output).toMatchObject({ sent: 1 });
  expect(await inboxFor(inbox, user.email)).toHaveLength(1);
  await expect(task.parsePayload({ notificationId: "nope" })).rejects.toThrow();
});

test("right after the finish, each pending notification triggers send-notification with key notification:<id>", async () => {
  const bodies: { path: string; body: { payload: string; options: Record<string, unknown> } }[] = [];
  const server: Server = createServer((request, response) => {
    let raw = "";
    request.on("data", (chunk) => {
      raw += chunk;
    });
    request.on("end", () => {
      bodies.push({ path: request.url ?? "", body: JSON.parse(raw) });
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ id: "run_notify_2" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const env = parseEnv({
      ...process.env,
      TRIGGER_SECRET_KEY: "tr_dev_notify",
      TRIGGER_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    });
    const user = await createUser(sql, "dispatch");
    const sessionId = await endSession(sql, {
      userId: user.id,
      runner: "trigger",
      status: "failed",
      output: "",
    });
    const [row] = await sql<{ id: string }[]>`select id from notifications where session_id = ${sessionId}`;
    await dispatchSessionNotifications(sql, env, sessionId);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]?.path).toBe("/api/v1/tasks/send-notification/trigger");
    expect(JSON.parse(bodies[0]!.body.payload).json).toEqual({ notificationId: row!.id });
    const key = `notification:${row!.id}`;
    expect(bodies[0]?.body.options).toMatchObject({ idempotencyKeyOptions: { key, scope: "global" } });
    expect(bodies[0]?.body.options.idempotencyKey).toBe(createHash("sha256").update(key).digest("hex"));
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
