"use client";

import { useChat } from "@ai-sdk/react";
import { useState } from "react";

/**
 * The AI SDK's own `useChat` with no options but `id` and `resume: true`: `DefaultChatTransport`
 * POSTs to `/api/chat` (the Supabase session cookie signs it in) and, on a reload, resumes the
 * running answer from `GET /api/chat/{id}/stream`. Nothing here knows about Overtime.
 */
export function PlainChat({ id }: { id: string }) {
  const { messages, sendMessage, status, error } = useChat({ id, resume: true });
  const [input, setInput] = useState("");
  return (
    <section className="chat">
      <h1 className="chat-title">useChat example</h1>
      <p className="muted">
        Status: <span data-testid="chat-status">{status}</span>
      </p>
      {messages.map((message) => (
        <div
          key={message.id}
          className={`bubble ${message.role}`}
          data-testid="example-message"
          data-role={message.role}
        >
          {message.parts.map((part) => (part.type === "text" ? part.text : "")).join("")}
        </div>
      ))}
      {error ? <p role="alert">{error.message}</p> : null}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void sendMessage({ text: input });
          setInput("");
        }}
      >
        <textarea
          aria-label="Message"
          data-testid="example-input"
          value={input}
          onChange={(event) => setInput(event.target.value)}
        />
        <button type="submit" data-testid="example-send" disabled={status !== "ready" || input === ""}>
          Send
        </button>
      </form>
    </section>
  );
}
