import { CREDITS_PER_USD } from "../credits.ts";
import type { NotificationFacts } from "../db/notification-content.ts";

/** How much of the output a notification quotes. */
export const EXCERPT_CHARS = 600;

/** What a notification says, in words, shared by the email and the Telegram message. */
export interface NotificationSummary {
  kind: NotificationFacts["kind"];
  subject: string;
  headline: string;
  title: string;
  /** Label → value lines (agent, duration, tokens, cost, balance). */
  facts: [string, string][];
  /** The error in words a user understands (failed sessions). */
  problem: string | null;
  /** What was kept of the output (failed, out of credits). */
  kept: string | null;
  excerpt: string;
  sessionUrl: string | null;
  settingsUrl: string;
}

const ERROR_WORDS: [RegExp, string][] = [
  [/^payment_required/, "Your credits ran out, so the session was stopped."],
  [
    /^(network|agent_unreachable|connection_lost)/,
    "We lost the connection to the agent and could not get it back.",
  ],
  [/^stream_truncated/, "The agent's answer stopped before it was finished."],
  [/^(rate_limited|overloaded)/, "The agent was too busy to finish the task."],
  [/^timeout/, "The agent took too long to answer."],
  [
    /^(unauthorized|forbidden|agent_not_configured|service_unavailable:agent_not_configured)/,
    "The agent could not be used: its settings are wrong on our side.",
  ],
  [/^(bad_request|payload_too_large)/, "The agent could not accept the request."],
  [/^(malformed_frame|unknown_event)/, "The agent sent an answer we could not read."],
  [/^(internal|unknown|server_error)/, "Something went wrong on our side."],
];

/** The error in a sentence a user understands; the code is kept for support. */
export function describeError(error: { code: string; message: string } | null): string {
  const code = error?.code ?? "unknown";
  const words =
    ERROR_WORDS.find(([pattern]) => pattern.test(code))?.[1] ?? "The agent stopped with an error.";
  return `${words} (error code: ${code})`;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "unknown";
  const total = Math.max(0, Math.round(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return `${minutes} min ${rest} s`;
  return `${rest} s`;
}

const number = new Intl.NumberFormat("en-US");

/** Credits are exact to the millionth; display rounds them to the hundredth. */
const creditNumber = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

function credits(count: number): string {
  const shown = creditNumber.format(count);
  return `${shown} credit${shown === "1" ? "" : "s"}`;
}

/** The first `length` UTF-16 units, without splitting a surrogate pair (an emoji) in half. */
export function cutText(text: string, length: number): string {
  const cut = text.slice(0, Math.max(0, length));
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** The first ~600 characters of the output, cut at a word boundary when one is near. */
export function excerptOf(output: string): string {
  const trimmed = output.trim();
  if (trimmed.length <= EXCERPT_CHARS) return trimmed;
  const cut = cutText(trimmed, EXCERPT_CHARS);
  const space = cut.lastIndexOf(" ");
  return `${space > EXCERPT_CHARS - 80 ? cut.slice(0, space) : cut}…`;
}

function keptOf(output: string): string {
  const chars = output.length;
  return chars === 0
    ? "No output had been written yet, so there is nothing to keep."
    : `The ${number.format(chars)} characters of output written before it stopped are kept in the session.`;
}

/** Tokens used, in and out, marked when the count is an estimate. */
function tokensOf(facts: NotificationFacts): string {
  if (facts.inputTokens === null && facts.outputTokens === null) return "unknown";
  const input = facts.inputTokens ?? 0;
  const output = facts.outputTokens ?? 0;
  return `${facts.usageEstimated ? "about " : ""}${number.format(input + output)} (${number.format(input)} in, ${number.format(output)} out${facts.usageEstimated ? ", estimated" : ""})`;
}

/** The cost in dollars (sub-cent costs with four decimals) and in credits. */
function costOf(facts: NotificationFacts): string {
  if (facts.costUsd === null) return "unknown";
  return `$${facts.costUsd.toFixed(facts.costUsd < 0.01 ? 4 : 2)} (${credits(facts.costUsd * CREDITS_PER_USD)})`;
}

/** The label → value lines every session notification shows. */
function sessionFactsOf(facts: NotificationFacts): [string, string][] {
  return [
    ["Agent", facts.agent],
    ["Duration", formatDuration(facts.durationSeconds)],
    ["Tokens", tokensOf(facts)],
    ["Cost", costOf(facts)],
  ];
}

/** Turns the facts into what both channels say; `appUrl` builds the links. */
export function summarize(facts: NotificationFacts, appUrl: string): NotificationSummary {
  const base = appUrl.replace(/\/$/, "");
  const sessionUrl = facts.sessionId ? `${base}/sessions/${facts.sessionId}` : null;
  const settingsUrl = `${base}/settings`;
  const sessionFacts = sessionFactsOf(facts);
  // What a session that simply finished shows; the other kinds say what differs.
  const common = {
    kind: facts.kind,
    title: facts.title,
    excerpt: excerptOf(facts.output),
    sessionUrl,
    settingsUrl,
    facts: sessionFacts,
    problem: null,
    kept: null,
  };
  switch (facts.kind) {
    case "completed":
      return { ...common, subject: `Finished: ${facts.title}`, headline: "Your session finished" };
    case "failed":
      return {
        ...common,
        subject: `Failed: ${facts.title}`,
        headline: "Your session stopped with an error",
        problem: describeError(facts.error),
        kept: keptOf(facts.output),
      };
    case "out_of_credits":
      return {
        ...common,
        subject: `Out of credits: ${facts.title}`,
        headline: "Your session stopped: you are out of credits",
        facts: [...sessionFacts, ["Balance", credits(facts.balanceCredits)]],
        problem: "Your credit balance ran out while the agent was working, so we stopped it.",
        kept: keptOf(facts.output),
      };
    case "test":
      return {
        ...common,
        subject: "Test notification from Overtime",
        headline: "Notifications work",
        title: "This is a test notification",
        facts: [],
        excerpt: "When a session you left running ends, you will hear about it here.",
      };
  }
}
