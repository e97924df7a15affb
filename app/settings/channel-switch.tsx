"use client";

import type { ReactNode } from "react";
import type { NotificationSettingsModel } from "./use-notification-settings.ts";

/**
 * A channel's heading and its on/off switch (`children`: the switch's label). `unavailable` names what
 * the channel still needs: the stored switch then means nothing, so it shows off and off limits.
 */
export function ChannelSwitch({
  model,
  setting,
  title,
  unavailable,
  children,
}: {
  model: NotificationSettingsModel;
  setting: "notifyEmail" | "notifyTelegram";
  title: string;
  unavailable?: string;
  children: ReactNode;
}) {
  const { settings, toggle } = model;
  if (!settings) return null;
  return (
    <>
      <h2>{title}</h2>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={!unavailable && settings[setting]}
          disabled={Boolean(unavailable)}
          onChange={(event) => void toggle({ [setting]: event.target.checked })}
        />
        {children}
        {unavailable ? <span className="muted">({unavailable})</span> : null}
      </label>
    </>
  );
}

/** The button that queues a test notification on `channel` (`how` ends its accessible name). */
export function TestSendButton({
  model,
  channel,
  how,
}: {
  model: NotificationSettingsModel;
  channel: "email" | "telegram";
  how: string;
}) {
  return (
    <button
      type="button"
      aria-label={`Send a test notification ${how}`}
      onClick={() => void model.sendTest(channel)}
    >
      Send a test notification
    </button>
  );
}
