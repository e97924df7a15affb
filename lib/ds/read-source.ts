/** Where a stream stands: bytes so far and whether its producer closed it. */
export interface StreamState {
  tail: number;
  closed: boolean;
}

/** Bytes read from `from`: consecutive pieces ending at `end` (`end` = `from` when none). */
export interface StreamPage {
  pieces: Buffer[];
  end: number;
}

/**
 * One stream as the read encoder sees it, whatever stores it (a session log or an other stream).
 * The encoder (lib/ds/reads.ts, lib/ds/sse.ts) speaks the protocol; a source only reads.
 */
export interface StreamSource {
  /** What GET answers with as `content-type`. */
  contentType: string;
  /** Identifies the stream in ETags (a recreated stream gets a different one). */
  etagId: string;
  /** `public` or `private` (a session is its owner's). */
  cacheScope: "public" | "private";
  /** The state when the request was authorised. */
  state: StreamState;
  /**
   * Up to about `maxBytes` from `from` (at least one piece when `from` is below the tail): "gone"
   * when the store no longer holds those bytes (past retention). Throws `bad_request:offset` for an
   * offset that is no place to start reading (inside a character or a JSON message).
   */
  read(from: number, maxBytes: number): Promise<StreamPage | "gone">;
  /** Where the stored piece holding byte `offset` ends (responses end on piece boundaries). */
  pieceEndAfter(offset: number): Promise<number>;
  /** The state now; null once the stream no longer exists. */
  refresh(): Promise<StreamState | null>;
  /**
   * Calls `onChange` whenever the stream may have changed, from the process's one LISTEN: waiting
   * costs the database nothing per reader. Resolves once listening; the result unsubscribes.
   */
  subscribe(onChange: () => void): Promise<() => void>;
}

/** JSON mode: each stored piece is values joined by commas with a trailing comma; reads are arrays. */
export function jsonArray(pieces: Buffer[]): Buffer {
  const body = Buffer.concat(pieces);
  let end = body.length;
  while (end > 0 && body[end - 1] !== 0x2c) end--;
  return Buffer.concat([Buffer.from("["), body.subarray(0, Math.max(0, end - 1)), Buffer.from("]")]);
}

/**
 * Waits until `source` may have changed, `timeoutMs` passes or `signal` aborts: "changed" |
 * "timeout" | "aborted". Subscribe first, then call `check`: a change between the caller's last read
 * and the subscription is caught by `check` (true: something to read now).
 */
export async function waitForChange(
  source: StreamSource,
  timeoutMs: number,
  signal: AbortSignal,
  check: () => Promise<boolean>,
): Promise<"changed" | "timeout" | "aborted"> {
  let wake: ((outcome: "changed" | "timeout" | "aborted") => void) | undefined;
  let changed = false;
  const unsubscribe = await source.subscribe(() => {
    changed = true;
    wake?.("changed");
  });
  const onAbort = () => wake?.("aborted");
  signal.addEventListener("abort", onAbort);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    if (signal.aborted) return "aborted";
    if (await check()) return "changed";
    if (changed) return "changed";
    return await new Promise((resolve) => {
      wake = resolve;
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
    unsubscribe();
  }
}
