"use client";

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
  const { settings, toggle } = model;
  if (!settings) return null;
  return (
    <>
      <h2>Email</h2>
      <label className="checkbox">
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
        onClick={() => void model.sendTest("email")}
      >
        Send a test notification
      </button>
    </>
  );
}
