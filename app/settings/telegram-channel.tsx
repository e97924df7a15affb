"use client";

import { ChannelSwitch, TestSendButton } from "./channel-switch.tsx";
import type { NotificationSettingsModel } from "./use-notification-settings.ts";

/** The Telegram switch, then the linked account (unlink, test) or the way to link one. */
export function TelegramChannel({ model }: { model: NotificationSettingsModel }) {
  const { settings } = model;
  if (!settings) return null;
  const { linked } = settings.telegram;
  return (
    <>
      <ChannelSwitch
        model={model}
        setting="notifyTelegram"
        title="Telegram"
        unavailable={linked ? undefined : "link Telegram first"}
      >
        Message me on Telegram
      </ChannelSwitch>
      {settings.telegram.linked ? (
        <LinkedTelegram username={settings.telegram.username} model={model} />
      ) : (
        <UnlinkedTelegram model={model} />
      )}
    </>
  );
}

function LinkedTelegram({ username, model }: { username: string | null; model: NotificationSettingsModel }) {
  return (
    <p className="row" data-testid="telegram-status">
      Linked{username ? ` as @${username}` : ""}.
      <button type="button" onClick={() => void model.unlinkTelegram()}>
        Unlink
      </button>
      <TestSendButton model={model} channel="telegram" how="on Telegram" />
    </p>
  );
}

function UnlinkedTelegram({ model }: { model: NotificationSettingsModel }) {
  const { deepLink } = model;
  return (
    <div data-testid="telegram-status">
      <p>Not linked.</p>
      <button type="button" onClick={() => void model.linkTelegram()}>
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
  );
}
