"use client";

import { useMemo } from "react";
import type { AgentStep } from "../session-stream/assistant-message.ts";
import { isTerminal } from "../session-stream/session-types.ts";
import type { SessionView } from "../session-stream/session-view.ts";
import { AssistantOutput } from "./assistant-output.tsx";
import { SessionStatusBar } from "./session-status-bar.tsx";
import { UsageFooter } from "./usage-footer.tsx";

const utf8Bytes = new TextEncoder();

/** Whether the followed session is still being started, loaded or produced. */
export function isRunning(view: SessionView): boolean {
  return view.phase === "starting" || view.phase === "loading" || view.phase === "running";
}

/** The agent's tool calls and stages, each a step: its name, running or done. */
function AgentSteps({ steps }: { steps: AgentStep[] }) {
  if (steps.length === 0) return null;
  return (
    <ol className="agent-steps" data-testid="agent-steps">
      {steps.map((step) => {
        const state = step.failed ? "failed" : step.done ? "done" : "running";
        return (
          <li
            key={step.id}
            className={`agent-step step-${state}`}
            data-testid="agent-step"
            data-state={state}
          >
            <span className="agent-step-name">{step.name}</span>{" "}
            <span className="muted">{state === "running" ? "running…" : state}</span>
          </li>
        );
      })}
    </ol>
  );
}

/** The followed session's answer: status bar (with Stop), its steps, the output with its seams, usage. */
export function SessionTurn({ view, onStop }: { view: SessionView & { stopping: boolean }; onStop(): void }) {
  const running = isRunning(view);
  const canStop =
    view.phase === "running" && view.sessionId !== null && (view.status === null || !isTerminal(view.status));
  // The status bar's token estimate moves with the output's UTF-8 bytes (it shows none once finished).
  const outputBytes = useMemo(
    () => (running ? utf8Bytes.encode(view.text).byteLength : 0),
    [running, view.text],
  );
  return (
    <div className="turn">
      <SessionStatusBar
        status={view.status}
        runner={view.runner}
        progress={view.progress}
        seams={view.seams}
        outputBytes={outputBytes}
        startedAt={view.startedAt}
        finishedAt={view.finishedAt}
        running={running}
        canStop={canStop}
        stopping={view.stopping}
        onStop={onStop}
      />
      <AgentSteps steps={view.steps} />
      <AssistantOutput text={view.text} seams={view.seams} streaming={running} />
      {view.phase === "finished" && view.usage ? (
        <UsageFooter usage={view.usage} costUsd={view.costUsd} />
      ) : null}
    </div>
  );
}
