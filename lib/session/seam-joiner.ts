import type { SeamJoinerWrite } from "./ports.ts";

/**
 * What goes between the text before a seam and a continuation's first text so words stay apart.
 * OpenClaw holds back trailing whitespace and drops it when a run is aborted, so a cut answer ends
 * right after a word ("…tick 9") and its continuation starts with the next one ("tick 0…").
 */
export function seamJoiner(before: string, after: string): string {
  if (before === "" || after === "") return "";
  if (/\s$/u.test(before) || /^\s/u.test(after)) return "";
  // Closing punctuation belongs to the word before it.
  if (/^[,.;:!?)\]}»”’…%]/u.test(after)) return "";
  return " ";
}

/**
 * Joins a continuation to the text before its seam: the first text of the run gets the joiner in
 * front, and the joiner is recorded with the seam (`seam_joiners`, keyed by the seam offset).
 */
export function continuationSeam(options: {
  ports: { recordSeamJoiner(write: SeamJoinerWrite): Promise<void> };
  sessionId: string;
  epoch: number;
  /** The durable text the continuation follows; undefined when this run is no continuation. */
  precedingText: string | undefined;
  seamOffset: number;
}) {
  let pending = options.precedingText !== undefined && options.precedingText !== "";
  return {
    /**
     * The text to write for this agent text: the first one with its joiner. A promise only while the
     * joiner is recorded; every other text comes back as it is, at once.
     */
    join(text: string): string | Promise<string> {
      if (!pending || text === "") return text;
      pending = false;
      const joiner = seamJoiner(options.precedingText ?? "", text);
      if (joiner === "") return text;
      const { sessionId, epoch, seamOffset } = options;
      return options.ports
        .recordSeamJoiner({ sessionId, epoch, seamOffset, joiner })
        .then(() => joiner + text);
    },
  };
}
