"use client";

import { useCallback, useEffect, useState } from "react";
import { callApi, type NotificationRow, type Settings } from "./settings-api.ts";

export type ChannelSwitches = Partial<Pick<Settings, "notifyEmail" | "notifyTelegram">>;
export type NotificationSettingsModel = ReturnType<typeof useNotificationSettings>;

/**
 * The settings and recent deliveries, re-read every 2 s, and the actions on them. Each action clears
 * the last message and error, reports its outcome, then re-reads.
 */
export function useNotificationSettings() {
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

  return {
    settings,
    notifications,
    deepLink,
    message,
    error,
    /** Shows the new switch position at once; the server's answer (or a refresh) confirms it. */
    async toggle(change: ChannelSwitches) {
      setSettings((current) => (current ? { ...current, ...change } : current));
      await act(() => callApi("/api/settings", { method: "PATCH", body: change }));
    },
    sendTest: (channel: "email" | "telegram") =>
      act(
        () => callApi("/api/notifications/test", { method: "POST", body: { channel } }),
        channel === "email" ? "Test email queued." : "Test message queued.",
      ),
    unlinkTelegram: () =>
      act(() => callApi("/api/telegram/link", { method: "DELETE" }), "Telegram unlinked."),
    linkTelegram: () => act(async () => setDeepLink(await callApi("/api/telegram/link", { method: "POST" }))),
  };
}
