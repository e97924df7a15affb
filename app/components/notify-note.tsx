"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { type Settings, settingsSchema } from "@/lib/session/wire.ts";
import { fetchWire } from "../session-stream/api-client.ts";

/** How the user will hear that a background session ended: her notification channels, and where to change them. */
export function NotifyNote() {
  const [settings, setSettings] = useState<Settings | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    fetchWire("/api/settings", settingsSchema, { signal: abort.signal })
      .then(setSettings)
      // Without the settings the note still says where to set them.
      .catch(() => undefined);
    return () => abort.abort();
  }, []);
  const channels: string[] = [];
  if (settings?.notifyEmail) channels.push(settings.email ? `email (${settings.email})` : "email");
  if (settings?.notifyTelegram && settings.telegram.linked)
    channels.push(settings.telegram.username ? `Telegram (@${settings.telegram.username})` : "Telegram");
  return (
    <span className="muted" data-testid="session-notify">
      {settings === null
        ? "Runs without this tab; you are told when it ends, as set in "
        : channels.length > 0
          ? `Runs without this tab; when it ends you are told by ${channels.join(" and ")} — change it in `
          : "Runs without this tab; notifications are off — turn on email or Telegram in "}
      <Link href="/settings">settings</Link>.
    </span>
  );
}
