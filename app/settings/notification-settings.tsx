"use client";

import { ChannelSwitch, TestSendButton } from "./channel-switch.tsx";
import { NotificationHistory } from "./notification-history.tsx";
import { TelegramChannel } from "./telegram-channel.tsx";
import { type NotificationSettingsModel, useNotificationSettings } from "./use-notification-settings.ts";

/** The notification settings: channel switches, Telegram linking, test sends, recent deliveries. */
export function NotificationSettings() {
  const model = useNotificationSettings();
  const { settings, notifications, message, error } = model;

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

      <EmailChannel model={model} />
      <TelegramChannel model={model} />

      <h2>Last notifications</h2>
      <NotificationHistory notifications={notifications} />
    </section>
  );
}

/** The email switch and its test send. */
function EmailChannel({ model }: { model: NotificationSettingsModel }) {
  return (
    <>
      <ChannelSwitch model={model} setting="notifyEmail" title="Email">
        Email me at {model.settings?.email ?? "my address"}
      </ChannelSwitch>
      {model.settings ? <TestSendButton model={model} channel="email" how="by email" /> : null}
    </>
  );
}
