import type { Sql } from "../db/client.ts";
import { ChannelListener } from "../db/listen.ts";
import type { Env } from "../env.ts";
import { logError } from "../log.ts";
import { NOTIFICATIONS_CHANNEL } from "./dispatch.ts";
import { deliverDueNotifications } from "./sender.ts";

export interface LocalNotificationSender {
  stop(): Promise<void>;
}

/**
 * The local worker's sender: woken by NOTIFY right after a finish, and sweeping every `sweepMs` for
 * rows that became due again (retries, claims of senders that died). Several may run at once.
 */
export async function startNotificationSender(options: {
  sql: Sql;
  env: Env;
  sweepMs?: number;
}): Promise<LocalNotificationSender> {
  const { sql, env } = options;
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;

  const sendDue = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          // Keep going while a full batch came back: more may be due.
          while (!stopped) {
            const round = await deliverDueNotifications({ sql, env });
            if (round.sent + round.retried + round.failed < 20) break;
          }
        } while (again && !stopped);
      } catch (error) {
        logError("notification sender round failed", { error });
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  // A LISTEN that fails at start-up is retried with backoff before the sender gives up.
  const listener = new ChannelListener(sql, NOTIFICATIONS_CHANNEL, () => void sendDue());
  await listener.ready();
  const sweep = setInterval(() => void sendDue(), options.sweepMs ?? 1000);
  void sendDue();
  return {
    async stop() {
      stopped = true;
      clearInterval(sweep);
      await listener.unlisten();
      await running;
    },
  };
}
