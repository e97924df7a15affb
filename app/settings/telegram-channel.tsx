"use client";

import type { NotificationSettingsModel } from "./use-notification-settings.ts";

/** The Telegram switch, then the linked account (unlink, test) or the way to link one. */
export function TelegramChannel({ model }: { model: NotificationSettingsModel }) {
  const { settings, toggle } = model;
  if (!settings) return null;
  const { linked } = settings.telegram;
  return (
    <>
      <h2>Telegram</h2>
      <label className="checkbox">
        {/* The stored switch means nothing until a chat is linked: shown off, and off limits. */}
        <input
          type="checkbox"
          checked={linked && settings.notifyTelegram}
          disabled={!linked}
          onChange={(event) => void toggle({ notifyTelegram: event.target.checked })}
        />
        Message me on Telegram
        {linked ? null : <span className="muted">(link Telegram first)</span>}
      </label>
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
      <button
        type="button"
        aria-label="Send a test notification on Telegram"
        onClick={() => void model.sendTest("telegram")}
      >
        Send a test notification
      </button>
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
