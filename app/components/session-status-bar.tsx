"use client";

import type { RunnerKind, SessionProgress, SessionStatus } from "../session-stream/session-types.ts";
import { ElapsedTime } from "./elapsed-time.tsx";
import { NotifyNote } from "./notify-note.tsx";
import { formatTokenFigure, tokenFigure } from "./token-figure.ts";

const runnerLabels: Record<RunnerKind, string> = {
  live: "live connection",
  worker: "background worker",
  trigger: "Trigger.dev task",
};

const statusDescriptions: Record<SessionStatus, string> = {
  queued: "Waiting for a runner",
  live: "Streaming live from the agent",
  background: "Running in the background; you can close this tab",
  interrupted: "Reached the live time limit; a background job continues it",
  completed: "Finished",
  failed: "The session failed",
  cancelled: "Stopped; the partial output is kept",
};

interface SessionStatusBarProps {
  status: SessionStatus | null;
  runner: RunnerKind | null;
  progress: SessionProgress | null;
  /** Byte offsets where a continuation joined the output. */
  seams?: number[];
  /** UTF-8 bytes of the output the page holds: the token estimate moves with them. */
  outputBytes: number;
  startedAt: number | null;
  finishedAt: number | null;
  running: boolean;
  canStop: boolean;
  stopping: boolean;
  onStop(): void;
}

/** Status, runner, elapsed time and progress of a session, with Stop while it runs. */
export function SessionStatusBar(props: SessionStatusBarProps) {
  const { status, runner, progress, startedAt, finishedAt, running, canStop, stopping, onStop } = props;
  const seams = props.seams?.length ?? 0;
  const tokens = running
    ? tokenFigure(progress?.estimated ? null : (progress?.outputTokens ?? null), props.outputBytes)
    : null;
  const background = running && runner !== null && runner !== "live";
  return (
    <div className="session-bar" data-testid="session-bar">
      {/* role="status" announces status changes, not the ticking clock or token counts. */}
      <span
        role="status"
        className={`status status-${status ?? "starting"}`}
        data-testid="session-status"
        data-status={status ?? "starting"}
        title={status ? statusDescriptions[status] : "Sending your message"}
      >
        {status ?? "starting"}
      </span>
      {runner ? (
        <span className="muted" data-testid="session-runner" data-runner={runner}>
          on {runnerLabels[runner]}
        </span>
      ) : null}
      {startedAt !== null ? (
        <ElapsedTime startedAt={startedAt} finishedAt={running ? null : finishedAt} />
      ) : null}
      {running && progress?.stage ? (
        <span className="muted" data-testid="session-progress">
          {progress.stage}
        </span>
      ) : null}
      {tokens ? (
        <span className="muted" data-testid="session-tokens" data-estimated={tokens.estimated}>
          {formatTokenFigure(tokens)}
        </span>
      ) : null}
      {progress?.credits && running ? (
        <span className="muted" data-testid="session-cost">
          {creditsSoFar(progress.credits)} so far
        </span>
      ) : null}
      {seams > 0 ? (
        <span className="muted" data-testid="session-seams" title="Where a continuation joined the output">
          {seams} {seams === 1 ? "seam" : "seams"}
        </span>
      ) : null}
      {background ? <NotifyNote /> : null}
      {canStop ? (
        <button
          type="button"
          className="secondary stop"
          data-testid="stop-button"
          onClick={onStop}
          disabled={stopping}
        >
          {stopping ? "Stopping…" : "Stop"}
        </button>
      ) : null}
    </div>
  );
}

/** Credits are metered exactly; the bar rounds them to the hundredth. */
function creditsSoFar(credits: number): string {
  const shown = credits.toLocaleString("en-US", { maximumFractionDigits: 2 });
  return `${shown} ${shown === "1" ? "credit" : "credits"}`;
}
