"use client";

import type { FormEvent, KeyboardEvent } from "react";
import { MAX_CHAT_MESSAGE_CHARS, sessionModeSchema } from "@/lib/session/wire.ts";
import type { AgentOption, SessionMode } from "../session-stream/session-types.ts";

const modeLabels: Record<SessionMode, string> = {
  auto: "Auto",
  live: "Live",
  background: "Run in background",
};

const MAX_MESSAGE_LENGTH = MAX_CHAT_MESSAGE_CHARS;

interface ComposerProps {
  draft: string;
  onDraftChange(draft: string): void;
  agents: AgentOption[] | null;
  /** null: the server's default agent (the list has not loaded, or could not be). */
  agent: string | null;
  onAgentChange(agent: string): void;
  mode: SessionMode;
  onModeChange(mode: SessionMode): void;
  /** The optional cap for a background run, as typed (whole credits; empty for none). */
  maxCredits: string;
  onMaxCreditsChange(maxCredits: string): void;
  /** False while a session of this conversation runs or a message is being sent. */
  canSend: boolean;
  onSend(): void;
}

/** The message box with the agent and mode pickers. Enter sends, Shift+Enter starts a new line. */
export function Composer(props: ComposerProps) {
  const { draft, onDraftChange, agents, agent, onAgentChange, mode, onModeChange, canSend, onSend } = props;
  const { maxCredits, onMaxCreditsChange } = props;
  const sendable = canSend && draft.trim().length > 0 && draft.length <= MAX_MESSAGE_LENGTH;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (sendable) onSend();
  }

  function sendOnEnter(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    if (sendable) onSend();
  }

  return (
    <form className="composer" onSubmit={submit}>
      <label className="visually-hidden" htmlFor="composer-input">
        Message
      </label>
      <textarea
        id="composer-input"
        data-testid="composer-input"
        rows={3}
        placeholder="Ask the agent…"
        value={draft}
        maxLength={MAX_MESSAGE_LENGTH}
        onChange={(event) => onDraftChange(event.target.value)}
        onKeyDown={sendOnEnter}
      />
      <div className="row composer-controls">
        <AgentSelect agents={agents} agent={agent} onAgentChange={onAgentChange} />
        <ModeSelect mode={mode} onModeChange={onModeChange} />
        {mode === "background" ? (
          <MaxCreditsInput maxCredits={maxCredits} onMaxCreditsChange={onMaxCreditsChange} />
        ) : null}
        <button type="submit" data-testid="send-button" disabled={!sendable}>
          Send
        </button>
      </div>
    </form>
  );
}

function AgentSelect(props: Pick<ComposerProps, "agents" | "agent" | "onAgentChange">) {
  const { agents, agent, onAgentChange } = props;
  return (
    <label className="inline">
      Agent
      <select
        data-testid="agent-select"
        value={agent ?? ""}
        onChange={(event) => onAgentChange(event.target.value)}
        disabled={agents === null}
      >
        {agents === null ? <option value={agent ?? ""}>{agent ?? "default agent"}</option> : null}
        {agents?.map((option) => (
          <option key={option.name} value={option.name}>
            {option.name} ({option.model})
          </option>
        ))}
      </select>
    </label>
  );
}

function ModeSelect({ mode, onModeChange }: Pick<ComposerProps, "mode" | "onModeChange">) {
  return (
    <label className="inline">
      Mode
      <select
        data-testid="mode-select"
        value={mode}
        onChange={(event) => onModeChange(sessionModeSchema.parse(event.target.value))}
      >
        {sessionModeSchema.options.map((value) => (
          <option key={value} value={value}>
            {modeLabels[value]}
          </option>
        ))}
      </select>
    </label>
  );
}

function MaxCreditsInput(props: Pick<ComposerProps, "maxCredits" | "onMaxCreditsChange">) {
  return (
    <label className="inline">
      Max credits
      <input
        type="number"
        min={1}
        step={1}
        inputMode="numeric"
        placeholder="no limit"
        data-testid="max-credits-input"
        value={props.maxCredits}
        onChange={(event) => props.onMaxCreditsChange(event.target.value)}
      />
    </label>
  );
}
