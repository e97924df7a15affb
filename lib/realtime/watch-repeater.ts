/**
 * Browser side of "who is watching" (issue 19): a tab that shows a session (or the sessions list)
 * posts its watch at once and every 30 s while it is visible; the server keeps a watch 60 s. A hidden
 * tab stops repeating (its watch lapses, and the session's runner stops broadcasting it); it posts
 * again the moment it is visible. Browser-safe: no imports.
 */

/** Between two posts of a visible tab: half a watch's 60 s, so one lost post does not lapse it. */
export const WATCH_REPEAT_MS = 30_000;

/** What a tab watches: one session, or the user's sessions list. */
export type WatchTarget = { session: string } | "list";

/** The URL a target's watch is posted to (`api`: the app's `/api`). */
export function watchUrl(target: WatchTarget, api = "/api"): string {
  return target === "list"
    ? `${api}/sessions/watch`
    : `${api}/sessions/${encodeURIComponent(target.session)}/watch`;
}

type VisibilityDocument = Pick<Document, "visibilityState" | "addEventListener" | "removeEventListener">;

export interface WatchRepeaterOptions {
  /** Where to post (`watchUrl`, with the app's origin when the caller needs one). */
  url: string;
  fetch?: typeof fetch;
  /** Headers of each post (e.g. `Authorization`); a function is called per post. */
  headers?: () => Record<string, string> | Promise<Record<string, string>>;
  /** The page's document (none outside a browser: then the tab counts as visible). */
  document?: VisibilityDocument;
  /** Told when a post fails; the next one is due in 30 s anyway. */
  onError?: (error: unknown) => void;
}

/** Starts repeating the watch; returns what stops it. */
export function repeatWatch(options: WatchRepeaterOptions): () => void {
  const doc = options.document ?? (globalThis as { document?: VisibilityDocument }).document ?? undefined;
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  let timer: ReturnType<typeof setInterval> | undefined;
  let stopped = false;

  // fetch is called synchronously when there are no headers to wait for: a tab shown again says so at once.
  const post = () => {
    const send = (headers: Record<string, string>) =>
      doFetch(options.url, { method: "POST", headers, cache: "no-store" }).then((response) => {
        if (!response.ok) throw new Error(`POST ${options.url}: HTTP ${response.status}`);
      });
    const sent = options.headers ? Promise.resolve(options.headers()).then(send) : send({});
    sent.catch((error: unknown) => options.onError?.(error));
  };
  const visible = () => !doc || doc.visibilityState === "visible";
  const start = () => {
    if (stopped || timer !== undefined || !visible()) return;
    post();
    timer = setInterval(post, WATCH_REPEAT_MS);
  };
  const pause = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  const onVisibility = () => (visible() ? start() : pause());

  doc?.addEventListener("visibilitychange", onVisibility);
  start();
  return () => {
    stopped = true;
    pause();
    doc?.removeEventListener("visibilitychange", onVisibility);
  };
}
