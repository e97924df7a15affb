/** One message of a gateway session's transcript. */
export interface TranscriptMessage {
  role: string;
  content: string;
}

/**
 * What the OpenClaw gateway remembers per session key (`x-openclaw-session-key`): the transcript its
 * agent runs on. Each run appends its `input` items, and the model is given the whole transcript; a
 * completed run's answer joins it, while an aborted (client gone) or failed run's partial answer
 * does not — the agent never learns what it said there. Requests without a key are stateless (the
 * gateway then picks a fresh random key per call). Tests read a transcript through
 * `GET /openclaw/debug/sessions/<key>`: what the model was given, turn by turn.
 */
export class OpenClawSessions {
  readonly #transcripts = new Map<string, TranscriptMessage[]>();

  /** Appends a run's input to its session; returns what the model is given (the whole transcript). */
  begin(sessionKey: string | undefined, input: TranscriptMessage[]): TranscriptMessage[] {
    if (sessionKey === undefined) return input;
    const transcript = this.#transcripts.get(sessionKey) ?? [];
    transcript.push(...input);
    this.#transcripts.set(sessionKey, transcript);
    return transcript;
  }

  /** A completed run's answer joins its session's transcript. */
  answered(sessionKey: string | undefined, text: string): void {
    if (sessionKey === undefined) return;
    this.#transcripts.get(sessionKey)?.push({ role: "assistant", content: text });
  }

  /** A copy of a session's transcript, or undefined for a key never used. */
  transcript(sessionKey: string): TranscriptMessage[] | undefined {
    const transcript = this.#transcripts.get(sessionKey);
    return transcript?.map((message) => ({ ...message }));
  }
}
