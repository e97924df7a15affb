import type { InboxMessage } from "./store.ts";
import { CHAT_PANEL_HTML, CHAT_PANEL_SCRIPT, CHAT_PANEL_STYLE } from "./telegram-chat-panel.ts";

function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

function headerRows(message: InboxMessage): string {
  const rows: [string, unknown][] =
    message.channel === "email"
      ? [
          ["From", message.details.from],
          ["To", message.to],
          ["Subject", message.subject],
          ["Reply-To", message.details.replyTo],
          ["Idempotency-Key", message.details.idempotencyKey],
          ["Headers", message.details.headers],
          ["Tags", message.details.tags],
          ["Resend id", message.details.id],
        ]
      : [
          ["Chat", `${message.to} (@${String(message.details.username)})`],
          ["Parse mode", message.details.parseMode],
          ["Link preview", message.details.linkPreviewDisabled ? "off" : "on"],
        ];
  return rows
    .filter(([, value]) => value !== undefined && value !== null)
    .map(
      ([name, value]) =>
        `<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(typeof value === "string" ? value : JSON.stringify(value))}</td></tr>`,
    )
    .join("");
}

function buttons(message: InboxMessage): string {
  const rows = (message.replyMarkup as { inline_keyboard?: { text: string; url?: string }[][] } | null)
    ?.inline_keyboard;
  if (!rows) return "";
  return `<p class="buttons">${rows
    .flat()
    .map((button) =>
      button.url
        ? `<a class="button" href="${escapeHtml(button.url)}">${escapeHtml(button.text)}</a>`
        : `<span class="button">${escapeHtml(button.text)}</span>`,
    )
    .join(" ")}</p>`;
}

function messageCard(message: InboxMessage): string {
  const title =
    message.channel === "email"
      ? `✉️ ${escapeHtml(message.subject ?? "")}`
      : `✈️ Telegram to ${escapeHtml(message.to)}`;
  const rendered =
    message.channel === "email" && message.html !== null
      ? `<iframe sandbox title="HTML" srcdoc="${escapeHtml(message.html)}"></iframe>`
      : message.channel === "telegram"
        ? `<div class="telegram">${escapeHtml(message.text)}</div>${buttons(message)}`
        : "";
  return `<article data-channel="${message.channel}">
  <h2>${title} <time>${escapeHtml(message.createdAt)}</time></h2>
  <table>${headerRows(message)}</table>
  ${rendered}
  ${message.channel === "email" ? `<details><summary>Plain text</summary><pre>${escapeHtml(message.text)}</pre></details>` : ""}
</article>`;
}

/** The inbox: a deep-link "press" form, then every email and Telegram message, newest first. */
export function renderInboxPage(messages: InboxMessage[], botUsername: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Overtime local inbox</title>
<style>
body{font:15px system-ui,sans-serif;max-width:900px;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
article{border:1px solid #ddd;border-radius:8px;padding:1rem;margin:1rem 0}
h2{font-size:1.05rem;margin:0 0 .5rem}time{color:#888;font-size:.8rem;font-weight:normal;margin-left:.5rem}
table{font-size:.85rem;border-collapse:collapse}th{text-align:left;padding-right:1rem;color:#555;vertical-align:top}
iframe{width:100%;height:420px;border:1px solid #eee;margin-top:.5rem}
.telegram{white-space:pre-wrap;background:#eef6ff;border-radius:8px;padding:.75rem;margin-top:.5rem}
.button{display:inline-block;padding:.3rem .8rem;border:1px solid #2a7ae2;border-radius:6px;color:#2a7ae2;text-decoration:none}
form{display:flex;gap:.5rem;flex-wrap:wrap;align-items:end;background:#f6f6f6;padding:1rem;border-radius:8px}
label{display:flex;flex-direction:column;font-size:.8rem}input{font:inherit;padding:.3rem}
${CHAT_PANEL_STYLE}
</style></head>
<body>
<h1>Local inbox</h1>
<p>Email sent through the Resend stand-in and messages sent by the Telegram bot @${escapeHtml(botUsername)}, newest first.</p>
${CHAT_PANEL_HTML(escapeHtml(botUsername))}
<form id="press">
  <label>Telegram deep link <input name="link" size="60" placeholder="https://t.me/${escapeHtml(botUsername)}?start=…" required></label>
  <label>Chat id <input name="chatId" value="100000001" inputmode="numeric" required></label>
  <label>Username <input name="username" value="local_user" required></label>
  <button type="submit">Press START</button>
  <output id="press-result"></output>
</form>
<section id="messages">${messages.map(messageCard).join("\n") || "<p>No messages yet.</p>"}</section>
<script>
document.getElementById("press").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const token = new URL(String(form.get("link"))).searchParams.get("start") ?? "";
  const response = await fetch("/api/telegram/start", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, chatId: Number(form.get("chatId")), username: String(form.get("username")) }),
  });
  const result = await response.json();
  document.getElementById("press-result").textContent = response.ok ? "Delivered to the webhook (" + result.status + ")" : result.message;
  setTimeout(() => location.reload(), 1500);
});
// New emails show up by themselves, unless something is being typed (the chat panel updates itself).
let shown = ${messages.filter((message) => message.channel === "email").length};
setInterval(async () => {
  const all = await (await fetch("/api/messages")).json();
  const count = all.filter((message) => message.channel === "email").length;
  const typing = document.querySelector("#press input[name=link]").value !== "" ||
    document.getElementById("chat-text").value !== "" || document.activeElement?.tagName === "INPUT";
  if (count !== shown && !typing) location.reload();
  shown = count;
}, 2000);
</script>
<script>${CHAT_PANEL_SCRIPT}</script>
</body></html>`;
}
