import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createSql, type Sql } from "../../lib/db/client.ts";
import { parseEnv } from "../../lib/env.ts";
import { AGENT_SESSION_QUEUE, triggerDispatcher } from "../../lib/jobs/dispatch.ts";
import { createTestDatabase } from "../support/database.ts";

const ALICE = "a11ce000-0000-4000-8000-000000000001";

interface Captured {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: unknown;
}

let server: Server;
let apiUrl: string;
const captured: Captured[] = [];
const database = await createTestDatabase();
let sql: Sql;

beforeAll(async () => {
  sql = createSql(database.url, 2);
  // A capture server in place of the Trigger.dev API; the real SDK talks to it.
  server = createServer((request, response) => {
    let raw = "";
    request.on("data", (chunk) => {
      raw += chunk;
    });
    request.on("end", () => {
      captured.push({
        method: request.method ?? "",
        path: request.url ?? "",
        headers: request.headers,
        body: raw ? JSON.parse(raw) : undefined,
      });
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ id: "run_contract_1" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await sql.end();
  await database.drop();
});

test("dispatch triggers agent-session with the idempotency key, tags, concurrency key and queue; cancel cancels the run", async () => {
  const [conversation] = await sql`insert into conversations (user_id) values (${ALICE}) returning id`;
  const [session] = await sql`insert into sessions (user_id, conversation_id, agent, status, epoch)
    values (${ALICE}, ${conversation!.id}, 'sim-openai-bg', 'background', 2) returning id`;
  const sessionId = session!.id as string;
  const env = parseEnv({ TRIGGER_SECRET_KEY: "tr_dev_contract", TRIGGER_API_URL: apiUrl });
  const dispatcher = triggerDispatcher(env, sql);
  expect(dispatcher.kind).toBe("trigger");

  const { runId } = await dispatcher.dispatch({ sessionId, epoch: 2, userId: ALICE });
  expect(runId).toBe("run_contract_1");
  const trigger = captured.find((request) => request.path.endsWith("/trigger"))!;
  expect(trigger.method).toBe("POST");
  expect(trigger.path).toBe("/api/v1/tasks/agent-session/trigger");
  expect(trigger.headers.authorization).toBe("Bearer tr_dev_contract");
  const body = trigger.body as { payload: string; options: Record<string, unknown> };
  expect(JSON.parse(body.payload).json).toEqual({ sessionId, epoch: 2 });
  const key = `session:${sessionId}:epoch:2`;
  expect(body.options).toMatchObject({
    idempotencyKeyOptions: { key, scope: "run" },
    tags: [`session_${sessionId}`, `user_${ALICE}`],
    concurrencyKey: ALICE,
    queue: { name: AGENT_SESSION_QUEUE },
  });
  expect(body.options.idempotencyKey).toBe(createHash("sha256").update(key).digest("hex"));
  const [row] = await sql`select run_id from sessions where id = ${sessionId}`;
  expect(row!.run_id).toBe("run_contract_1");

  await dispatcher.cancel("run_contract_1");
  const cancel = captured.at(-1)!;
  expect(cancel.method).toBe("POST");
  expect(cancel.path).toBe("/api/v2/runs/run_contract_1/cancel");
  expect(cancel.headers.authorization).toBe("Bearer tr_dev_contract");
});
