// The inbox page's Telegram panel: a person acts as the Telegram user of one private chat with the
// bot: types a message, replies to a bot message, presses inline buttons; the bot's messages show
// their current text, how often they were edited, their buttons and documents. It reads
// `GET /api/telegram/chat` every second and renders in place, so typing is never interrupted.

export const CHAT_PANEL_STYLE = `
#chat{border:1px solid #9cc3f5;border-radius:8px;padding:1rem;margin:1rem 0}
#chat-log{display:flex;flex-direction:column;gap:.5rem;max-height:480px;overflow:auto;margin:.5rem 0}
.line{max-width:80%;padding:.5rem .75rem;border-radius:10px;white-space:pre-wrap}
.line.user{align-self:flex-end;background:#dcf8c6}.line.bot{align-self:flex-start;background:#eef6ff}
.line .meta{font-size:.75rem;color:#777;margin-top:.25rem}
.line .quote{border-left:3px solid #2a7ae2;padding-left:.4rem;font-size:.8rem;color:#555;margin-bottom:.25rem}
.line button{margin:.25rem .25rem 0 0}#chat-compose{display:flex;gap:.5rem;align-items:end}
#chat-compose textarea{flex:1;font:inherit;min-height:2.5rem}
`;

export const CHAT_PANEL_HTML = (bot: string) => `
<section id="chat" aria-label="Telegram chat">
  <h2>Chat with @${bot} as a Telegram user</h2>
  <p>
    <label>Act in chat <input id="chat-id" value="100000001" inputmode="numeric"></label>
    <label>As user <input id="chat-username" value="local_user"></label>
  </p>
  <div id="chat-log" data-testid="chat-log"></div>
  <p id="chat-replying" hidden>Replying to <span></span> <button type="button" id="chat-cancel-reply">Cancel reply</button></p>
  <form id="chat-compose">
    <textarea id="chat-text" aria-label="Message to the bot" placeholder="Write a message…"></textarea>
    <button type="submit">Send</button>
  </form>
  <output id="chat-result" role="status"></output>
</section>`;

// Plain browser JavaScript (no template substitutions or backslashes inside).
export const CHAT_PANEL_SCRIPT = `
(() => {
  const $ = (id) => document.getElementById(id);
  const chatIdInput = $("chat-id"), usernameInput = $("chat-username");
  chatIdInput.value = localStorage.getItem("inbox.chatId") || chatIdInput.value;
  usernameInput.value = localStorage.getItem("inbox.username") || usernameInput.value;
  chatIdInput.addEventListener("change", () => { localStorage.setItem("inbox.chatId", chatIdInput.value); refresh(); });
  usernameInput.addEventListener("change", () => localStorage.setItem("inbox.username", usernameInput.value));
  let replyTo = null;
  let lastRendered = "";
  const post = async (path, body) => {
    const response = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { ok: response.ok, body: await response.json() };
  };
  const setReply = (messageId, text) => {
    replyTo = messageId;
    $("chat-replying").hidden = messageId === null;
    $("chat-replying").querySelector("span").textContent = messageId === null ? "" : "“" + text.slice(0, 60) + "”";
  };
  $("chat-cancel-reply").addEventListener("click", () => setReply(null, ""));
  const line = (message, byId) => {
    const element = document.createElement("div");
    element.className = "line " + message.from;
    element.dataset.messageId = String(message.messageId);
    element.dataset.testid = message.from === "bot" ? "bot-message" : "user-message";
    if (message.replyTo !== null && byId.has(message.replyTo)) {
      const quote = document.createElement("div");
      quote.className = "quote";
      quote.textContent = byId.get(message.replyTo).text.slice(0, 80);
      element.append(quote);
    }
    const body = document.createElement("div");
    body.className = "text";
    body.textContent = message.text;
    element.append(body);
    if (message.document) {
      const link = document.createElement("a");
      link.href = message.document.url;
      link.textContent = "📄 " + message.document.fileName + " (" + message.document.bytes + " bytes)";
      element.append(link);
    }
    const rows = (message.replyMarkup && message.replyMarkup.inline_keyboard) || [];
    for (const button of rows.flat()) {
      if (button.url) {
        const link = document.createElement("a");
        link.href = button.url; link.className = "button"; link.textContent = button.text; link.target = "_blank";
        element.append(link);
      } else {
        const press = document.createElement("button");
        press.type = "button"; press.textContent = button.text;
        press.addEventListener("click", async () => {
          const result = await post("/api/telegram/callback", { chatId: Number(chatIdInput.value), messageId: message.messageId, data: button.callback_data });
          $("chat-result").textContent = result.ok ? (result.body.answer && result.body.answer.text) || "Pressed." : result.body.message;
          refresh();
        });
        element.append(press);
      }
    }
    if (message.from === "bot") {
      const reply = document.createElement("button");
      reply.type = "button"; reply.textContent = "Reply";
      reply.addEventListener("click", () => { setReply(message.messageId, message.text); $("chat-text").focus(); });
      element.append(reply);
    }
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = "#" + message.messageId + (message.edits > 0 ? " · edited " + message.edits + "×" : "");
    element.append(meta);
    return element;
  };
  async function refresh() {
    const response = await fetch("/api/telegram/chat?chatId=" + encodeURIComponent(chatIdInput.value));
    const view = await response.json();
    const rendered = JSON.stringify(view.messages);
    if (rendered === lastRendered) return;
    lastRendered = rendered;
    const byId = new Map(view.messages.map((message) => [message.messageId, message]));
    const log = $("chat-log");
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    log.replaceChildren(...view.messages.map((message) => line(message, byId)));
    if (atBottom) log.scrollTop = log.scrollHeight;
  }
  $("chat-compose").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("chat-text").value;
    if (text.trim() === "") return;
    const body = { chatId: Number(chatIdInput.value), username: usernameInput.value, text };
    if (replyTo !== null) body.replyToMessageId = replyTo;
    const result = await post("/api/telegram/message", body);
    $("chat-result").textContent = result.ok ? "Sent." : result.body.message;
    if (result.ok) { $("chat-text").value = ""; setReply(null, ""); }
    refresh();
  });
  refresh();
  setInterval(refresh, 1000);
})();
`;
