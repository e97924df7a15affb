import type { Sql } from "./client.ts";
import { DS_STREAM_CHANNEL } from "./ds-streams.ts";
import { ChannelListener } from "./listen.ts";
import { ListenerRegistry } from "./listener-registry.ts";
import { decodeNotify } from "./notify-payloads.ts";

type Listener = () => void;

/**
 * One LISTEN on DS_STREAM_CHANNEL per process (a runtime member), fanned out by stream id, so a
 * waiting long-poll or SSE reader costs the database nothing. A failed LISTEN is retried with backoff
 * (`ChannelListener`); postgres.js re-listens after a reconnect, and then every reader re-reads once
 * (notifications may have been lost meanwhile). A lost notification is caught by one query per
 * process every SAFETY_CHECK_MS for all watched streams, never one per reader (`ListenerRegistry`).
 */
export class StreamWakeups {
  readonly #sql: Sql;
  /** Per watched stream: its state at the last safety check. */
  readonly #readers: ListenerRegistry<number, Listener, { seen?: string }>;
  readonly #listener: ChannelListener;
  #listening = false;

  constructor(sql: Sql) {
    this.#sql = sql;
    this.#readers = new ListenerRegistry({
      initial: () => ({}),
      safetyCheck: (ids) => this.#safetyCheck(ids),
      failure: "durable stream safety check failed",
    });
    this.#listener = new ChannelListener(
      sql,
      DS_STREAM_CHANNEL,
      (payload) => {
        const parsed = decodeNotify(DS_STREAM_CHANNEL, payload);
        if (parsed) this.#wake(parsed.id);
      },
      () => this.#onListen(),
    );
  }

  /** Resolves once the LISTEN is active; the result unsubscribes. */
  async subscribe(streamId: number, listener: Listener): Promise<() => void> {
    await this.#listener.ready();
    return this.#readers.add(streamId, listener).remove;
  }

  #onListen(): void {
    if (this.#listening) for (const id of this.#readers.keys()) this.#wake(id);
    this.#listening = true;
  }

  #wake(streamId: number): void {
    for (const listener of this.#readers.listeners(streamId)) listener();
  }

  async #safetyCheck(ids: number[]): Promise<void> {
    const rows = await this.#sql<{ id: number; state: string }[]>`
      select w.id::int8 as id, coalesce(s.next_offset::text || ':' || s.closed::text, 'gone') as state
      from unnest(${this.#sql.array(ids)}::int8[]) as w(id) left join ds_streams s on s.id = w.id`;
    for (const row of rows) {
      const stream = this.#readers.state(row.id);
      if (!stream) continue;
      const before = stream.seen;
      stream.seen = row.state;
      if (before !== undefined && before !== row.state) this.#wake(row.id);
    }
  }
}
