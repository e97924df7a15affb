"use client";

import Link from "next/link";
import { useCallback, useEffect, useState } from "react";
import { callApi, type NotificationRow, type Settings } from "./settings-api.ts";

/** The notification settings: channel switches, Telegram linking, test sends, recent deliveries. */
export function NotificationSettings() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [notifications, setNotifications] = useState<NotificationRow[]>([]);
  const [deepLink, setDeepLink] = useState<{ url: string; expiresAt: string } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      const [next, rows] = await Promise.all([
        callApi<Settings>("/api/settings"),
        callApi<NotificationRow[]>("/api/notifications"),
      ]);
      setSettings(next);
      setNotifications(rows);
      if (next.telegram.linked) setDeepLink(null);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : "Could not load your settings.");
    }
  }, []);

  useEffect(() => {
    void refresh();
    // While the user is away linking Telegram (or a test is on its way), keep the page current.
    const timer = setInterval(() => void refresh(), 2000);
    return () => clearInterval(timer);
  }, [refresh]);

  async function act(run: () => Promise<unknown>, done?: string) {
    setError(null);
    setMessage(null);
    try {
      await run();
      if (done) setMessage(done);
      await refresh();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : "That did not work.");
    }
  }

  /** Shows the new switch position at once; the server's answer (or a refresh) confirms it. */
  async function toggle(change: Partial<Pick<Settings, "notifyEmail" | "notifyTelegram">>) {
    setSettings((current) => (current ? { ...current, ...change } : current));
    await act(() => callApi("/api/settings", { method: "PATCH", body: change }));
  }

  if (!settings) return <p className="muted">{error ?? "Loading…"}</p>;

  return (
    <section className="card">
      <h1>Notifications</h1>
      <p className="muted">When a session you left running ends, we tell you on the channels you choose.</p>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {message ? <p role="status">{message}</p> : null}

      <h2>Email</h2>
      <label className="row">
        <input
          type="checkbox"
          checked={settings.notifyEmail}
          onChange={(event) => void toggle({ notifyEmail: event.target.checked })}
        />
        Email me at {settings.email ?? "my address"}
      </label>
      <button
        type="button"
        aria-label="Send a test notification by email"
        onClick={() =>
          void act(
            () => callApi("/api/notifications/test", { method: "POST", body: { channel: "email" } }),
            "Test email queued.",
          )
        }
      >
        Send a test notification
      </button>

      <h2>Telegram</h2>
      <label className="row">
        <input
          type="checkbox"
          checked={settings.notifyTelegram}
          onChange={(event) => void toggle({ notifyTelegram: event.target.checked })}
        />
        Message me on Telegram
      </label>
      {settings.telegram.linked ? (
        <p className="row" data-testid="telegram-status">
          Linked{settings.telegram.username ? ` as @${settings.telegram.username}` : ""}.
          <button
            type="button"
            onClick={() =>
              void act(() => callApi("/api/telegram/link", { method: "DELETE" }), "Telegram unlinked.")
            }
          >
            Unlink
          </button>
          <button
            type="button"
            aria-label="Send a test notification on Telegram"
            onClick={() =>
              void act(
                () => callApi("/api/notifications/test", { method: "POST", body: { channel: "telegram" } }),
                "Test message queued.",
              )
            }
          >
            Send a test notification
          </button>
        </p>
      ) : (
        <div data-testid="telegram-status">
          <p>Not linked.</p>
          <button
            type="button"
            onClick={() =>
              void act(async () => setDeepLink(await callApi("/api/telegram/link", { method: "POST" })))
            }
          >
            Link Telegram
          </button>
          {deepLink ? (
            <p>
              Open{" "}
              <a href={deepLink.url} target="_blank" rel="noreferrer" data-testid="telegram-deep-link">
                {deepLink.url}
              </a>{" "}
              and press Start. The link works once, until {new Date(deepLink.expiresAt).toLocaleTimeString()}.
            </p>
          ) : null}
        </div>
      )}

      <h2>Last notifications</h2>
      {notifications.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <table data-testid="notifications">
          <thead>
            <tr>
              <th>When</th>
              <th>Channel</th>
              <th>What</th>
              <th>Status</th>
              <th>Session</th>
            </tr>
          </thead>
          <tbody>
            {notifications.map((row) => (
              <tr key={row.id}>
                <td>{new Date(row.createdAt).toLocaleString()}</td>
                <td>{row.channel}</td>
                <td>{row.kind.replaceAll("_", " ")}</td>
                <td title={row.lastError ?? undefined}>
                  {row.status}
                  {row.attempts > 1 ? ` (${row.attempts} attempts)` : ""}
                  {row.status !== "sent" && row.lastError ? ` — ${row.lastError}` : ""}
                </td>
                <td>{row.sessionId ? <Link href={`/sessions/${row.sessionId}`}>Open</Link> : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
