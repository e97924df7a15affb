"use client";

import { useCallback, useEffect, useState } from "react";
import { callApi, type NotificationRow, type Settings } from "./settings-api.ts";

export type ChannelSwitches = Partial<Pick<Settings, "notifyEmail" | "notifyTelegram">>;
export type NotificationSettingsModel = ReturnType<typeof useNotificationSettings>;

/** What a test send reports once it is queued, by channel. */
const TEST_QUEUED = { email: "Test email queued.", telegram: "Test message queued." } as const;

/** The settings and recent deliveries, read now and re-read every 2 s; `refresh` reads them at once. */
function useSettingsFeed() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [notifications, setNotifications] = useState<NotificationRow[]>([]);
  const [deepLink, setDeepLink] = useState<{ url: string; expiresAt: string } | null>(null);
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

  return { settings, setSettings, notifications, deepLink, setDeepLink, error, setError, refresh };
}

/**
 * The settings page's data and the actions on it. Each action clears the last message and error,
 * reports its outcome, then re-reads.
 */
export function useNotificationSettings() {
  const { settings, setSettings, notifications, deepLink, setDeepLink, error, setError, refresh } =
    useSettingsFeed();
  const [message, setMessage] = useState<string | null>(null);

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
    sendTest: (channel: keyof typeof TEST_QUEUED) =>
      act(
        () => callApi("/api/notifications/test", { method: "POST", body: { channel } }),
        TEST_QUEUED[channel],
      ),
    unlinkTelegram: () =>
      act(() => callApi("/api/telegram/link", { method: "DELETE" }), "Telegram unlinked."),
    linkTelegram: () => act(async () => setDeepLink(await callApi("/api/telegram/link", { method: "POST" }))),
  };
}
