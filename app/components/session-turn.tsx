"use client";

import type { FollowerState } from "../session-stream/session-follower.ts";
import { isTerminal } from "../session-stream/session-types.ts";
import { AssistantOutput } from "./assistant-output.tsx";
import { SessionStatusBar } from "./session-status-bar.tsx";
import { UsageFooter } from "./usage-footer.tsx";

/** Whether the followed session is still being started, loaded or produced. */
export function isRunning(state: FollowerState): boolean {
  return state.phase === "starting" || state.phase === "loading" || state.phase === "running";
}

/** The followed session's answer: status bar (with Stop), the output with its seams, and usage. */
export function SessionTurn({ state, onStop }: { state: FollowerState; onStop(): void }) {
  const running = isRunning(state);
  const canStop =
    state.phase === "running" &&
    state.sessionId !== null &&
    (state.status === null || !isTerminal(state.status));
  return (
    <div className="turn">
      <SessionStatusBar
        status={state.status}
        runner={state.runner}
        progress={state.progress}
        seams={state.seams}
        outputBytes={state.log.offset}
        startedAt={state.startedAt}
        finishedAt={state.finishedAt}
        running={running}
        canStop={canStop}
        stopping={state.stopping}
        onStop={onStop}
      />
      <AssistantOutput text={state.log.text} seams={state.seams} streaming={running} />
      {state.phase === "finished" && state.usage ? (
        <UsageFooter usage={state.usage} costUsd={state.costUsd} />
      ) : null}
    </div>
  );
}
