/** The `GET /api/settings` body. */
export interface Settings {
  email: string | null;
  notifyEmail: boolean;
  notifyTelegram: boolean;
  telegram: { linked: boolean; username: string | null };
}

/** One row of `GET /api/notifications`. */
export interface NotificationRow {
  id: string;
  sessionId: string | null;
  channel: "email" | "telegram";
  kind: string;
  status: string;
  attempts: number;
  createdAt: string;
  sentAt: string | null;
  lastError: string | null;
}

/** Calls one of the settings endpoints; a refusal throws with the server's message. */
export async function callApi<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(path, {
    method: init.method ?? "GET",
    cache: "no-store",
    headers: init.body === undefined ? undefined : { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (response.status === 204) return undefined as T;
  const body = await response.json();
  if (!response.ok) throw new Error(body.message ?? `Request failed (${response.status}).`);
  return body as T;
}
