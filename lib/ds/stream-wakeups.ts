import type { Sql } from "../db/client.ts";
import { DS_STREAM_CHANNEL } from "../db/ds-streams.ts";
import { ListenerRegistry } from "../db/listener-registry.ts";
import { logError } from "../log.ts";

type Listener = () => void;

/**
 * One LISTEN on DS_STREAM_CHANNEL per process, fanned out by stream id, so a waiting long-poll or
 * SSE reader costs the database nothing. postgres.js re-listens after a reconnect, and then every
 * reader re-reads once (notifications may have been lost meanwhile). A lost notification is caught
 * by one query per process every SAFETY_CHECK_MS for all watched streams, never one per reader.
 */
export class StreamWakeups {
  readonly #sql: Sql;
  readonly #listeners = new ListenerRegistry<number, Listener, string>(() => void this.#safetyCheck());
  #ready: Promise<unknown> | undefined;
  #listening = false;
  #checking = false;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** Resolves once the LISTEN is active; the result unsubscribes. */
  async subscribe(streamId: number, listener: Listener): Promise<() => void> {
    // A failed LISTEN is not remembered: the next reader tries again.
    this.#ready ??= this.#sql
      .listen(
        DS_STREAM_CHANNEL,
        (payload) => this.#wake(Number(payload)),
        () => this.#onListen(),
      )
      .catch((error: unknown) => {
        this.#ready = undefined;
        throw error;
      });
    await this.#ready;
    return this.#listeners.add(streamId, listener);
  }

  #onListen(): void {
    if (this.#listening) for (const id of this.#listeners.keys()) this.#wake(id);
    this.#listening = true;
  }

  #wake(streamId: number): void {
    for (const listener of this.#listeners.of(streamId)) listener();
  }

  async #safetyCheck(): Promise<void> {
    const ids = this.#listeners.keys();
    if (this.#checking || ids.length === 0) return;
    this.#checking = true;
    try {
      const rows = await this.#sql<{ id: number; state: string }[]>`
        select w.id::int8 as id, coalesce(s.next_offset::text || ':' || s.closed::text, 'gone') as state
        from unnest(${this.#sql.array(ids)}::int8[]) as w(id) left join ds_streams s on s.id = w.id`;
      for (const row of rows) {
        const before = this.#listeners.seen(row.id);
        this.#listeners.see(row.id, row.state);
        if (before !== undefined && before !== row.state) this.#wake(row.id);
      }
    } catch (error) {
      logError("durable stream safety check failed", { streams: ids.length, error });
    } finally {
      this.#checking = false;
    }
  }
}

const globalForWakeups = globalThis as unknown as { overtimeStreamWakeups?: WeakMap<Sql, StreamWakeups> };

/** The wake-ups of `sql`'s process, created on first use (kept across Next's dev reloads). */
export function streamWakeups(sql: Sql): StreamWakeups {
  globalForWakeups.overtimeStreamWakeups ??= new WeakMap();
  let wakeups = globalForWakeups.overtimeStreamWakeups.get(sql);
  if (!wakeups) {
    wakeups = new StreamWakeups(sql);
    globalForWakeups.overtimeStreamWakeups.set(sql, wakeups);
  }
  return wakeups;
}
