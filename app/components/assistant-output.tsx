"use client";

import { Fragment, useMemo } from "react";
import { splitAtByteOffsets } from "../session-stream/seam-split.ts";
import { StreamingMarkdown } from "./streaming-markdown.tsx";

interface AssistantOutputProps {
  text: string;
  /** Byte offsets where a background continuation joined the output. */
  seams: readonly number[];
  streaming: boolean;
}

/**
 * The assistant's answer as Markdown, with a visible divider at every continuation seam. The exact
 * text is also kept in a hidden <pre> (data-testid "assistant-raw") so tests can compare bytes.
 */
export function AssistantOutput({ text, seams, streaming }: AssistantOutputProps) {
  const segments = useMemo(() => splitAtByteOffsets(text, seams), [text, seams]);
  return (
    <div className="bubble assistant" data-testid="assistant-output" aria-busy={streaming}>
      {segments.map((segment, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: seams only accumulate, so a segment's position is its identity.
        <Fragment key={index}>
          {index > 0 ? (
            <div className="seam" data-testid="seam">
              Continued in the background after the live connection's time limit
            </div>
          ) : null}
          <StreamingMarkdown text={segment} />
        </Fragment>
      ))}
      {text === "" ? <p className="muted">{streaming ? "Waiting for the agent…" : "No output."}</p> : null}
      <pre hidden data-testid="assistant-raw">
        {text}
      </pre>
    </div>
  );
}
