import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { reduceSession } from "../../app/session-stream/session-reducer.ts";
import {
  type FollowerState,
  idleFollowerState,
  type SessionInput,
  streamCursor,
} from "../../app/session-stream/session-state.ts";
import { simulatedText } from "../../dev/agent-sim/text.ts";
import {
  decodeRealtimeMessage,
  decodeSessionEvent,
  encodeSessionEvent,
  type SessionSnapshot,
  type SessionStreamEvent,
  WireError,
} from "../../lib/session/wire.ts";

const SESSION = "5e55a000-0000-4000-8000-000000000001";
const CONVERSATION = "c0c0a000-0000-4000-8000-000000000001";

/** Cuts `text` (from byte `base`) into deltas at character boundaries; each carries the offset after it. */
function deltasOf(text: string, cuts: number[], epoch: number, base = 0): SessionStreamEvent[] {
  const characters = [...text];
  const sorted = [...new Set(cuts.map((cut) => cut % (characters.length + 1)))].sort((a, b) => a - b);
  const deltas: SessionStreamEvent[] = [];
  let previous = 0;
  let offset = base;
  for (const cut of [...sorted, characters.length]) {
    if (cut <= previous) continue;
    const piece = characters.slice(previous, cut).join("");
    offset += Buffer.byteLength(piece);
    deltas.push({ type: "delta", text: piece, offset, epoch });
    previous = cut;
  }
  return deltas;
}

/** Every event goes over the wire and back, as the browser receives it. */
function overTheWire(event: SessionStreamEvent): SessionStreamEvent {
  const encoded = encodeSessionEvent(event);
  const decoded = decodeSessionEvent(encoded.event, JSON.stringify(encoded.data), encoded.id);
  if (!decoded) throw new Error(`event ${encoded.event} did not decode`);
  return decoded;
}

function run(state: FollowerState, inputs: SessionInput[]): FollowerState {
  return inputs.reduce(reduceSession, state);
}

const event = (value: SessionStreamEvent): SessionInput => ({
  kind: "event",
  event: overTheWire(value),
  at: 1,
});

const sessionEvent = (status: "live" | "background", offset = 0): SessionInput =>
  event({
    type: "session",
    sessionId: SESSION,
    conversationId: CONVERSATION,
    status,
    runner: status === "live" ? "live" : "worker",
    offset,
    seams: [],
  });

const done = (offset: number): SessionInput =>
  event({
    type: "done",
    status: "completed",
    offset,
    usage: { inputTokens: 3, outputTokens: 9 },
    costUsd: 0.01,
  });

const sending: FollowerState = reduceSession(idleFollowerState, {
  kind: "send",
  request: { message: "hello" },
});

describe("the browser's session reducer", () => {
  const truth = simulatedText("reducer", 160);
  const truthBytes = Buffer.byteLength(truth);

  test("every byte once, whatever the live stream, replays and Realtime deliver, in any order (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.nat(),
        fc.boolean(),
        (liveCuts, replayCuts, replayStarts, breakSeed, realtimeHasText) => {
          const live = deltasOf(truth, liveCuts, 1);
          const replay = deltasOf(truth, replayCuts, 1);
          const inputs: SessionInput[] = [sessionEvent("live")];
          // The live answer breaks somewhere; the stream endpoint replays from earlier points.
          inputs.push(...live.slice(0, breakSeed % (live.length + 1)).map(event), {
            kind: "live-ended",
            at: 2,
          });
          for (const start of replayStarts)
            inputs.push(...replay.slice(start % (replay.length + 1)).map(event));
          // Realtime announces durable appends, with or without their text.
          for (const delta of replay) {
            if (delta.type !== "delta") continue;
            const from = delta.offset - Buffer.byteLength(delta.text);
            const payload = realtimeHasText
              ? { from, to: delta.offset, text: delta.text }
              : { from, to: delta.offset };
            inputs.push({ kind: "realtime", message: decodeRealtimeMessage("log", payload)! });
          }
          inputs.push(...replay.map(event), done(truthBytes));
          const final = run(sending, inputs);
          expect(final.log.text).toBe(truth);
          expect(final.log.offset).toBe(truthBytes);
          expect(final.phase).toBe("finished");
          expect(final.status).toBe("completed");
          expect(final.connection).toBe("none");
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a rewind drops bytes a newer producer replaced: the reader ends with exactly the final log (property)", () => {
    const replaced = simulatedText("reducer-continued", 120);
    fc.assert(
      fc.property(
        fc.nat({ max: [...truth].length }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.nat({ max: 40 }),
        (seamCharacters, liveCuts, continuationCuts, ahead) => {
          // The live runner streamed `truth`; it died with only the first `seamCharacters` durable,
          // and a continuation (epoch 3) wrote different bytes from there.
          const durable = [...truth].slice(0, seamCharacters).join("");
          const seam = Buffer.byteLength(durable);
          const liveSeen = [...truth].slice(0, seamCharacters + ahead).join("");
          const finalLog = durable + replaced;
          const liveDeltas = deltasOf(liveSeen, liveCuts, 1);
          const continuation = deltasOf(replaced, continuationCuts, 3, seam);
          let state = run(sending, [
            sessionEvent("live"),
            ...liveDeltas.map(event),
            { kind: "live-ended", at: 2 },
          ]);
          expect(state.connection).toBe("stream");
          // The cursor names the producer of the bytes held (nothing held: a plain offset 0).
          expect(streamCursor(state)).toBe(liveSeen ? `1:${Buffer.byteLength(liveSeen)}` : "0");
          // The server saw the cursor past a seam the reader has not seen: rewind, then the new bytes.
          const rewound = seam < Buffer.byteLength(liveSeen);
          state = run(state, [
            sessionEvent("background", Buffer.byteLength(liveSeen)),
            ...(rewound ? [event({ type: "rewind", offset: seam, epoch: 1 })] : []),
            ...continuation.map(event),
            done(Buffer.byteLength(finalLog)),
          ]);
          expect(state.log.text).toBe(rewound ? finalLog : liveSeen + replaced);
          if (rewound) expect(state.phase).toBe("finished");
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a handoff below what the live reader holds drops what lies past it and reads the log from there", () => {
    const deltas = deltasOf(truth, [10, 20, 30], 1);
    const held = run(sending, [sessionEvent("live"), ...deltas.slice(0, 3).map(event)]);
    const handoffAt = (deltas[1] as { offset: number }).offset;
    const after = reduceSession(held, event({ type: "handoff", status: "background", offset: handoffAt }));
    expect(after.log.offset).toBe(handoffAt);
    expect(Buffer.from(truth).subarray(0, handoffAt).toString()).toBe(after.log.text);
    expect(after.status).toBe("background");
    expect(after.connection).toBe("stream");
    expect(after.resync).toBeGreaterThan(held.resync);
  });

  test("status, runner and seams come from events; a terminal status is never undone by a late read", () => {
    let state = run(sending, [
      sessionEvent("live"),
      event({ type: "status", status: "background", runner: "worker", offset: 0, seams: [0] }),
    ]);
    expect(state).toMatchObject({ status: "background", runner: "worker", seams: [0] });
    state = reduceSession(state, done(0));
    expect(state.status).toBe("completed");
    const staleSnapshot: SessionSnapshot = {
      id: SESSION,
      conversationId: CONVERSATION,
      userMessageId: null,
      agent: "a",
      title: "t",
      status: "background",
      mode: "auto",
      runner: "worker",
      prompt: "hello",
      output: "",
      offset: 0,
      seams: [0],
      progress: null,
      usage: null,
      costUsd: null,
      error: null,
      startedAt: null,
      finishedAt: null,
      createdAt: new Date(0).toISOString(),
      updatedAt: new Date(0).toISOString(),
    };
    state = reduceSession(state, { kind: "snapshot", snapshot: staleSnapshot, at: 3 });
    expect(state.status).toBe("completed");
    expect(state.connection).toBe("none");
  });

  test("a Realtime log ahead of the tab, or without text, asks for a catch-up read from the log", () => {
    const background = reduceSession(
      { ...sending, connection: "none", phase: "running", sessionId: SESSION },
      { kind: "realtime", message: decodeRealtimeMessage("log", { from: 0, to: 40 })! },
    );
    expect(background.connection).toBe("stream");
    const terminal = reduceSession(
      { ...sending, connection: "none", phase: "running", sessionId: SESSION },
      {
        kind: "realtime",
        message: decodeRealtimeMessage("status", {
          status: "completed",
          runner: null,
          offset: 9,
          seams: [],
        })!,
      },
    );
    // The final status names a log end (9) past what the tab holds (0): shown once the read brings it.
    expect(terminal.status).toBeNull();
    expect(terminal.connection).toBe("stream");
  });

  test("the browser refuses events it cannot decode, with a message naming the problem", () => {
    expect(() => decodeSessionEvent("delta", '{"text":1}', "1:4")).toThrow(WireError);
    expect(() => decodeSessionEvent("delta", '{"text":"abcd"}', undefined)).toThrow(/cursor/);
    expect(() => decodeSessionEvent("done", "not json", undefined)).toThrow(/not JSON/);
    expect(() => decodeSessionEvent("status", '{"status":"sleeping"}', undefined)).toThrow(/status/);
    expect(decodeSessionEvent("something-new", "{}", undefined)).toBeNull();
    const state = reduceSession(sending, { kind: "unreadable", message: "bad delta", at: 1 });
    expect(state).toMatchObject({
      phase: "finished",
      error: { code: "unreadable_event", message: "bad delta" },
    });
  });
});
