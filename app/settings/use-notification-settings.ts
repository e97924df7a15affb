"use client";

import { useCallback, useEffect, useState } from "react";
import {
  type NotificationRow,
  noContentSchema,
  notificationListSchema,
  type Settings,
  type SettingsPatch,
  settingsSchema,
  type TelegramLink,
  telegramLinkSchema,
  testNotificationAcceptedSchema,
} from "@/lib/session/wire.ts";
import { fetchWire } from "../session-stream/api-client.ts";

export type ChannelSwitches = SettingsPatch;
export type NotificationSettingsModel = ReturnType<typeof useNotificationSettings>;

/** What a test send reports once it is queued, by channel. */
const TEST_QUEUED = { email: "Test email queued.", telegram: "Test message queued." } as const;

/** The settings and recent deliveries, read now and re-read every 2 s; `refresh` reads them at once. */
function useSettingsFeed() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [notifications, setNotifications] = useState<NotificationRow[]>([]);
  const [deepLink, setDeepLink] = useState<TelegramLink | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      const [next, rows] = await Promise.all([
        fetchWire("/api/settings", settingsSchema),
        fetchWire("/api/notifications", notificationListSchema),
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
      await act(() => fetchWire("/api/settings", settingsSchema, { method: "PATCH", body: change }));
    },
    sendTest: (channel: keyof typeof TEST_QUEUED) =>
      act(
        () =>
          fetchWire("/api/notifications/test", testNotificationAcceptedSchema, {
            method: "POST",
            body: { channel },
          }),
        TEST_QUEUED[channel],
      ),
    unlinkTelegram: () =>
      act(() => fetchWire("/api/telegram/link", noContentSchema, { method: "DELETE" }), "Telegram unlinked."),
    linkTelegram: () =>
      act(async () =>
        setDeepLink(await fetchWire("/api/telegram/link", telegramLinkSchema, { method: "POST" })),
      ),
  };
}
