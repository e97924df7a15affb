import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { handleAnthropicMessages } from "./anthropic-route.ts";
import { BackgroundRuns } from "./background-runs.ts";
import { handleChatCompletions } from "./chat-completions-route.ts";
import { sendJson } from "./http-io.ts";
import { OpenClawSessions } from "./openclaw-sessions.ts";
import { sendAnthropicError, sendOpenAiError, sendOpenClawError } from "./protocol-errors.ts";
import {
  handleOpenAiResponseCancel,
  handleOpenAiResponseRetrieve,
  handleOpenAiResponsesCreate,
  handleOpenClawResponses,
} from "./responses-routes.ts";
import type { SimActivity } from "./stream-play.ts";

export interface AgentSimulator {
  url: string;
  close(): Promise<void>;
  /** Runs generating right now, by kind: proves abort-on-disconnect and detached runs in tests. */
  activity(): { connectionBoundRuns: number; backgroundRuns: number };
}

const responseIdPath = /^\/openai\/v1\/responses\/([^/]+)$/;
const cancelPath = /^\/openai\/v1\/responses\/([^/]+)\/cancel$/;
const openClawSessionPath = /^\/openclaw\/debug\/sessions\/([^/]+)$/;

/** The simulator's state shared by its routes. */
interface SimState {
  runs: BackgroundRuns;
  activity: SimActivity;
  sessions: OpenClawSessions;
}

function route(request: IncomingMessage, response: ServerResponse, state: SimState): Promise<void> | void {
  const { runs, activity } = state;
  const url = new URL(request.url ?? "/", "http://simulator");
  const { pathname } = url;
  const method = request.method ?? "GET";

  if (pathname === "/openclaw/v1/responses") {
    // The gateway answers wrong methods in plain text.
    if (method !== "POST")
      return void response.writeHead(405, { "content-type": "text/plain" }).end("Method Not Allowed");
    return handleOpenClawResponses(request, response, activity, state.sessions);
  }
  const openClawSession = openClawSessionPath.exec(pathname);
  if (openClawSession && method === "GET") {
    // Debug only (the gateway has no such endpoint): what the model of this session was given.
    const sessionKey = decodeURIComponent(openClawSession[1]!);
    const messages = state.sessions.transcript(sessionKey);
    if (!messages) return sendOpenClawError(response, "not_found");
    return sendJson(response, 200, { sessionKey, messages });
  }
  if (pathname === "/openai/v1/responses" && method === "POST")
    return handleOpenAiResponsesCreate(request, response, runs, activity);
  if (pathname === "/openai/v1/chat/completions" && method === "POST")
    return handleChatCompletions(request, response, activity);
  const cancel = cancelPath.exec(pathname);
  if (cancel && method === "POST")
    return handleOpenAiResponseCancel(request, response, runs, decodeURIComponent(cancel[1]!));
  const retrieve = responseIdPath.exec(pathname);
  if (retrieve && method === "GET") {
    return handleOpenAiResponseRetrieve(
      request,
      response,
      runs,
      decodeURIComponent(retrieve[1]!),
      url.searchParams,
    );
  }
  if (pathname === "/anthropic/v1/messages" && method === "POST")
    return handleAnthropicMessages(request, response, activity);
  if (pathname === "/" || pathname === "/health") {
    return sendJson(response, 200, {
      name: "overtime agent simulator",
      openclaw: "/openclaw (POST /v1/responses)",
      openai: "/openai/v1 (responses, background retrieve/cancel, chat/completions)",
      anthropic: "/anthropic (POST /v1/messages)",
    });
  }
  if (pathname.startsWith("/anthropic/"))
    return sendAnthropicError(response, "not_found", `Unknown path ${pathname}`);
  if (pathname.startsWith("/openclaw/")) return sendOpenClawError(response, "not_found");
  return sendOpenAiError(response, "not_found", `Unknown path ${method} ${pathname}`);
}

/**
 * The local stand-in for OpenClaw, OpenAI and Anthropic (DESIGN §9): one HTTP server, all four
 * agent protocols, deterministic text, pace and faults driven by `#sim` lines. Quiet by default
 * (no per-request logs) and light enough for a thousand concurrent streams.
 */
export async function startAgentSimulator(
  options: { port?: number; host?: string } = {},
): Promise<AgentSimulator> {
  const host = options.host ?? "127.0.0.1";
  const runs = new BackgroundRuns();
  const activity: SimActivity = { connectionBoundRuns: 0 };
  const state: SimState = { runs, activity, sessions: new OpenClawSessions() };
  const server: Server = createServer((request, response) => {
    Promise.resolve(route(request, response, state)).catch((error: unknown) => {
      console.error("agent simulator: request failed", { method: request.method, url: request.url, error });
      if (!response.headersSent) sendOpenAiError(response, "server_error");
      else response.destroy();
    });
  });
  // Streams may be silent for minutes (stall=); never time a request out from this side.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // A thousand runners connect at once in the scale tests and benches: Node's default backlog (511)
    // would drop or reset some of those connects.
    server.listen({ port: options.port ?? 0, host, backlog: 4096 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    activity: () => ({
      connectionBoundRuns: activity.connectionBoundRuns,
      backgroundRuns: runs.runningCount(),
    }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        runs.closeAll();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
