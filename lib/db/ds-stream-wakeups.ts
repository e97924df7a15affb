import { logError } from "../log.ts";
import type { Sql } from "./client.ts";
import { DS_STREAM_CHANNEL } from "./ds-streams.ts";
import { ChannelListener } from "./listen.ts";
import { decodeNotify } from "./notify-payloads.ts";

type Listener = () => void;

/** How often the process re-checks the streams its readers wait on, in case a NOTIFY was lost. */
const SAFETY_CHECK_MS = 5000;

/**
 * One LISTEN on DS_STREAM_CHANNEL per process (a runtime member), fanned out by stream id, so a
 * waiting long-poll or SSE reader costs the database nothing. A failed LISTEN is retried with backoff
 * (`ChannelListener`); postgres.js re-listens after a reconnect, and then every reader re-reads once
 * (notifications may have been lost meanwhile). A lost notification is caught by one query per
 * process every SAFETY_CHECK_MS for all watched streams, never one per reader.
 */
export class StreamWakeups {
  readonly #sql: Sql;
  readonly #listeners = new Map<number, Set<Listener>>();
  /** Each watched stream's state at the last safety check. */
  readonly #seen = new Map<number, string>();
  readonly #listener: ChannelListener;
  #listening = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #checking = false;

  constructor(sql: Sql) {
    this.#sql = sql;
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
    let set = this.#listeners.get(streamId);
    if (!set) {
      set = new Set();
      this.#listeners.set(streamId, set);
    }
    set.add(listener);
    this.#timer ??= setInterval(() => void this.#safetyCheck(), SAFETY_CHECK_MS).unref();
    return () => {
      set.delete(listener);
      if (set.size > 0) return;
      this.#listeners.delete(streamId);
      this.#seen.delete(streamId);
      if (this.#listeners.size > 0) return;
      clearInterval(this.#timer);
      this.#timer = undefined;
    };
  }

  #onListen(): void {
    if (this.#listening) for (const id of this.#listeners.keys()) this.#wake(id);
    this.#listening = true;
  }

  #wake(streamId: number): void {
    for (const listener of this.#listeners.get(streamId) ?? []) listener();
  }

  async #safetyCheck(): Promise<void> {
    const ids = [...this.#listeners.keys()];
    if (this.#checking || ids.length === 0) return;
    this.#checking = true;
    try {
      const rows = await this.#sql<{ id: number; state: string }[]>`
        select w.id::int8 as id, coalesce(s.next_offset::text || ':' || s.closed::text, 'gone') as state
        from unnest(${this.#sql.array(ids)}::int8[]) as w(id) left join ds_streams s on s.id = w.id`;
      for (const row of rows) {
        const before = this.#seen.get(row.id);
        this.#seen.set(row.id, row.state);
        if (before !== undefined && before !== row.state) this.#wake(row.id);
      }
    } catch (error) {
      logError("durable stream safety check failed", { streams: ids.length, error });
    } finally {
      this.#checking = false;
    }
  }
}
