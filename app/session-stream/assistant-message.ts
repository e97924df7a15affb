import { getToolName, isToolUIPart, type UIMessage } from "ai";
import { z } from "zod";
import * as wire from "@/lib/session/wire.ts";

/**
 * The assistant message of a session as the AI SDK assembles it from Overtime's UI message stream
 * (`lib/ui-stream/sequence.ts`): `start` names the session in the metadata, `finish` adds how it
 * ended; text parts (one per producer step), tool parts (the agent's stages) and `data-*` parts.
 * Everything read from it is decoded with a schema, never cast.
 */
export const messageMetadataSchema = z.looseObject({
  sessionId: z.string().min(1),
  conversationId: z.string().min(1),
  agent: z.string(),
  mode: wire.sessionModeSchema,
  /** From `finish`: the terminal status, usage and cost (completed), the error (failed). */
  status: wire.sessionStatusSchema.optional(),
  usage: wire.usageSchema.nullable().optional(),
  costUsd: z.number().nullable().optional(),
  error: wire.sessionErrorSchema.optional(),
});
export type MessageMetadata = z.infer<typeof messageMetadataSchema>;

/** `data-session` (transient): the session's status, runner and seams as the server read them. */
export const sessionStatePartSchema = z.object({
  status: wire.sessionStatusSchema,
  runner: wire.runnerKindSchema.nullable(),
  seams: z.array(z.number().int().min(0)),
});
export type SessionStatePart = z.infer<typeof sessionStatePartSchema>;

export const progressSchema = wire.progressSchema;

/** A tool call or an agent stage, shown as a step. */
export interface AgentStep {
  id: string;
  name: string;
  done: boolean;
  failed: boolean;
}

const runnerPartSchema = z.object({ runner: wire.runnerKindSchema.nullable() });

export interface AssistantView {
  metadata: MessageMetadata | null;
  /** The runner of the latest step (`data-runner`), when the server names it. */
  runner: z.infer<typeof wire.runnerKindSchema> | null;
  /** The whole answer: the text parts of every step, in order. */
  text: string;
  steps: AgentStep[];
}

export const emptyAssistantView: AssistantView = { metadata: null, runner: null, text: "", steps: [] };

/** What the page shows of an assistant message. */
export function assistantView(message: UIMessage | undefined): AssistantView {
  if (message?.role !== "assistant") return emptyAssistantView;
  const parsed = messageMetadataSchema.safeParse(message.metadata);
  let text = "";
  let runner: AssistantView["runner"] = null;
  const steps: AgentStep[] = [];
  for (const part of message.parts) {
    if (part.type === "text") text += part.text;
    else if (part.type === "data-runner")
      runner = runnerPartSchema.safeParse(part.data).data?.runner ?? runner;
    else if (isToolUIPart(part)) {
      const failed = part.state === "output-error" || part.state === "output-denied";
      const done = failed || part.state === "output-available";
      steps.push({ id: part.toolCallId, name: part.title ?? getToolName(part), done, failed });
    }
  }
  return { metadata: parsed.success ? parsed.data : null, runner, text, steps };
}
