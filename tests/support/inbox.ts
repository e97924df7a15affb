import type { Inbox } from "../../dev/inbox/server.ts";
import type { Sql } from "../../lib/db/client.ts";
import type { Env } from "../../lib/env.ts";
import { deliverDueNotifications } from "../../lib/notify/sender.ts";
import { waitFor } from "./api.ts";

/** One message the local inbox holds (an email sent through Resend or a Telegram message). */
export interface InboxMessage {
  channel: string;
  to: string;
  subject: string | null;
  text: string;
  html: string | null;
  replyMarkup: { inline_keyboard: { text: string; url: string }[][] } | null;
  createdAt: string;
}

/** Everything the inbox holds, oldest first. */
export async function inboxMessages(inbox: Inbox): Promise<InboxMessage[]> {
  const response = await fetch(`${inbox.url}/api/messages`);
  return (await response.json()) as InboxMessage[];
}

/** What the inbox holds for one recipient (email address or chat id). */
export async function inboxFor(inbox: Inbox, to: string | number): Promise<InboxMessage[]> {
  return (await inboxMessages(inbox)).filter((message) => message.to === String(to));
}

/** Makes the inbox's Resend or Telegram stand-in answer the next call with a fault. */
export async function injectFault(inbox: Inbox, fault: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${inbox.url}/api/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(fault),
  });
  if (!response.ok) throw new Error(`fault not injected: ${response.status}`);
}

/**
 * Runs the notification sender again and again (every 200 ms, for up to 15 s) until the inbox holds
 * `count` messages for `to`.
 */
export async function deliverUntilInboxHas(
  deps: { sql: Sql; env: Env; inbox: Inbox },
  to: string | number,
  count = 1,
): Promise<void> {
  await waitFor(
    async () => {
      await deliverDueNotifications({ sql: deps.sql, env: deps.env });
      return (await inboxFor(deps.inbox, to)).length === count ? true : undefined;
    },
    15_000,
    200,
  );
}
