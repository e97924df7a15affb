import { randomInt } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

interface CounterState {
  updateId: number;
  messageId: number;
}

/**
 * The stand-in's update and message ids. Telegram's update ids only grow (after a week without
 * updates the next one is random) and a chat's message ids never repeat, while the product
 * remembers both (handled update ids, the messages answers were sent as). So a restart must not
 * number from the start again: with a state file the counters continue where they left off;
 * without one they start at a random point far from any earlier run's.
 */
export class TelegramCounters {
  readonly #file: string | undefined;
  #state: CounterState;

  constructor(stateFile?: string) {
    this.#file = stateFile;
    this.#state = (stateFile && readState(stateFile)) || {
      updateId: randomInt(100_000_000, 1_500_000_000),
      messageId: randomInt(1_000_000, 1_000_000_000),
    };
  }

  nextUpdateId(): number {
    this.#state.updateId += 1;
    this.#save();
    return this.#state.updateId;
  }

  nextMessageId(): number {
    this.#state.messageId += 1;
    this.#save();
    return this.#state.messageId;
  }

  /** A redelivered update id (tests): later ids still come after it. */
  sawUpdateId(updateId: number): void {
    if (updateId <= this.#state.updateId) return;
    this.#state.updateId = updateId;
    this.#save();
  }

  #save(): void {
    if (!this.#file) return;
    mkdirSync(path.dirname(this.#file), { recursive: true });
    writeFileSync(this.#file, JSON.stringify(this.#state));
  }
}

function readState(file: string): CounterState | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<CounterState>;
    if (Number.isInteger(parsed.updateId) && Number.isInteger(parsed.messageId)) {
      return { updateId: parsed.updateId as number, messageId: parsed.messageId as number };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      console.error("inbox: unreadable Telegram counter state; starting at a random point", { file });
    }
  }
  return undefined;
}
