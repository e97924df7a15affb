import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "vitest";
import { DS_STREAM_CHANNEL, deleteDsStream } from "../../lib/db/ds-streams.ts";
import { decodeNotify, type NotifyChannel } from "../../lib/db/notify-payloads.ts";
import { parseEnv } from "../../lib/env.ts";
import { dispatchNotifications, NOTIFICATIONS_CHANNEL } from "../../lib/notify/dispatch.ts";
import { waitFor } from "../support/api.ts";
import { withTestDatabase } from "../support/database.ts";
import { appendTestDsStream, insertTestDsStream } from "../support/ds-stream.ts";

const { sql } = await withTestDatabase(3);
const root = path.resolve(import.meta.dirname, "../..");

/** Every source file of the folders that may send a NOTIFY, relative to the repo. */
function sources(): string[] {
  return ["lib", "scripts", "dev", "bench", "trigger", "supabase/migrations"].flatMap((dir) =>
    readdirSync(path.join(root, dir), { recursive: true, encoding: "utf8" })
      .filter((file) => /\.(ts|tsx|sql)$/.test(file))
      .map((file) => `${dir}/${file}`),
  );
}

test("every pg_notify in the repo sends the text of encodeNotify (no payload is built anywhere else)", () => {
  const offenders: string[] = [];
  for (const file of sources()) {
    if (file === "lib/db/notify-payloads.ts") continue;
    const text = readFileSync(path.join(root, file), "utf8");
    // postgres.js's own sender, and SQL's NOTIFY statement, would bypass the codec as well.
    for (const match of text.matchAll(
      /pg_notify\s*\(([^,]*),\s*([^)]{0,60})|\bsql\.notify\(|^\s*notify\s+\w+/gim,
    )) {
      if (match[2]?.startsWith("${encodeNotify(")) continue;
      offenders.push(`${file}: ${match[0].trim()}`);
    }
  }
  expect(offenders).toEqual([]);
});

/** LISTENs on `channel` until `count` payloads arrived; returns them decoded with the channel's schema. */
async function heardOn<C extends NotifyChannel>(channel: C, count: number, send: () => Promise<void>) {
  const raw: string[] = [];
  const listener = await sql.listen(channel, (payload) => raw.push(payload));
  try {
    await send();
    await waitFor(async () => (raw.length >= count ? true : undefined), 10_000, 20);
    return raw.map((payload) => decodeNotify(channel, payload));
  } finally {
    await listener.unlisten();
  }
}

test("an other stream's append and delete announce its id in the ds_stream schema", async () => {
  let streamId = 0;
  const decoded = await heardOn(DS_STREAM_CHANNEL, 2, async () => {
    streamId = await insertTestDsStream(sql, "notify-payloads/one");
    await appendTestDsStream(sql, streamId, 0, "hello");
    expect(await deleteDsStream(sql, "notify-payloads/one")).toBe(true);
  });
  expect(decoded).toEqual([{ id: streamId }, { id: streamId }]);
});

test("a local notification dispatch announces each id in the overtime_notifications schema", async () => {
  const env = parseEnv({});
  expect(env.TRIGGER_SECRET_KEY).toBeUndefined();
  const ids = ["7e0c0000-0000-4000-8000-000000000001", "7e0c0000-0000-4000-8000-000000000002"];
  const decoded = await heardOn(NOTIFICATIONS_CHANNEL, 2, () => dispatchNotifications(sql, env, ids));
  expect(decoded).toEqual(ids.map((n) => ({ n })));
});
