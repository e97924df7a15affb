import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import type { Sql } from "postgres";
import { WebSocketServer } from "ws";
import type { SigningKey } from "../auth/signing-key.ts";
import { createTokenVerifier } from "./authorize.ts";
import { RealtimeConnection } from "./connection.ts";
import { ConnectedSockets, ProjectMessageRate, realtimeQuotasFromEnv } from "./project-quota.ts";
import { createBroadcastRoutes } from "./rest.ts";
import { Topics } from "./topics.ts";

export interface RealtimeStandInOptions {
  sql: Sql;
  /** The HTTP server auth is served on: Realtime shares its origin (`SUPABASE_URL/realtime/v1`). */
  server: Server;
  signingKey: SigningKey;
  secretKey: string;
  /**
   * The project's message quota: messages sent by or delivered to clients per second, averaged over
   * a minute as Realtime does. Over it every channel is closed ("Too many messages per second") and
   * REST answers 429. Default: REALTIME_MESSAGES_PER_SECOND, else 500 (Supabase Pro).
   */
  maxEventsPerSecond?: number;
  /** Sockets with a joined channel at once. Default: REALTIME_MAX_CONNECTIONS, else 500 (Pro). */
  maxConnections?: number;
  /** How often the message counter ticks (Realtime: 5 s, averaged over 12 ticks). */
  rateTickMs?: number;
  /** Hosted default (Free plan): 256 KB. */
  maxPayloadBytes?: number;
  /** Where the stand-in reports joins, refusals and closes. */
  log?: (line: string) => void;
  now?: () => number;
}

export interface RealtimeStandIn {
  /** The REST routes (`/realtime/v1/api/broadcast…`), for the shared server's handler list. */
  handle: ReturnType<typeof createBroadcastRoutes>;
  /** Takes Realtime down: every socket is closed and new ones and REST calls are refused. */
  stop(): void;
  /** Brings it back after `stop()`. */
  start(): void;
  readonly running: boolean;
  /** Open WebSocket connections. */
  readonly connections: number;
  /** Whether the project is over its message quota now. */
  readonly overMessageQuota: boolean;
  /** Messages since start: as the quota counts them, and broadcasts and deliveries by event name. */
  messageCounts(): RealtimeMessageCounts;
  close(): void;
}

export interface RealtimeMessageCounts {
  /** Every message sent by or delivered to a client (what Supabase bills and limits). */
  quota: number;
  published: Record<string, number>;
  delivered: Record<string, number>;
  /** Whether `event` was ever published on `topic` (e.g. "log" on "private:session:<id>"). */
  publishedOn(event: string, topic: string): boolean;
}

const WEBSOCKET_PATH = "/realtime/v1/websocket";
export const REALTIME_PREFIX = "/realtime/v1";

/**
 * The Supabase Realtime stand-in: Phoenix channels over `ws` at `/realtime/v1/websocket` (vsn 1.0.0
 * and 2.0.0), private channels authorized by the RLS policies on `realtime.messages` in the real
 * database, REST broadcast, and the hosted limits — the project's message and connection quotas
 * answered and logged as Supabase does. Mounted on the auth stand-in's server.
 */
export function attachRealtimeStandIn(options: RealtimeStandInOptions): RealtimeStandIn {
  const log = options.log ?? ((line: string) => console.log(`[realtime] ${line}`));
  const now = options.now ?? Date.now;
  const quotas = realtimeQuotasFromEnv();
  const limits = { maxPayloadBytes: options.maxPayloadBytes ?? 256_000 };
  const connections = new Set<RealtimeConnection>();
  const sockets = new ConnectedSockets(options.maxConnections ?? quotas.maxConnections);
  const rate = new ProjectMessageRate({
    limit: options.maxEventsPerSecond ?? quotas.messagesPerSecond,
    tickMs: options.rateTickMs,
    onTriggered: () => {
      // Realtime logs this once per overrun and closes every channel of the project.
      log(`MessagePerSecondRateLimitReached: Too many messages per second (quota ${rate.limit})`);
      for (const connection of connections) connection.shutDownForMessageQuota();
    },
    onCleared: () => log(`messages per second back under the quota (${rate.limit})`),
  });
  const verifyToken = createTokenVerifier({
    signingKey: options.signingKey,
    secretKey: options.secretKey,
    now,
  });
  const topics = new Topics();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 5_000_000 });
  let running = true;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://stand-in");
    if (url.pathname !== WEBSOCKET_PATH) return;
    if (!running) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const apiKey = url.searchParams.get("apikey") ?? headerValue(req, "x-api-key");
    const vsn = url.searchParams.get("vsn") ?? "1.0.0";
    if (!apiKey || (vsn !== "1.0.0" && vsn !== "2.0.0")) {
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new RealtimeConnection({
        ws,
        vsn,
        apiKey,
        sql: options.sql,
        topics,
        verifyToken,
        limits,
        rate,
        sockets,
        log,
        now,
      });
      connections.add(connection);
      ws.once("close", () => {
        connections.delete(connection);
        connection.dispose();
      });
    });
  };
  options.server.on("upgrade", onUpgrade);

  const handle = createBroadcastRoutes({
    sql: options.sql,
    topics,
    verifyToken,
    limits,
    rate,
    isRunning: () => running,
  });

  const closeAll = (code: number, reason: string) => {
    for (const connection of connections) connection.terminate(code, reason);
    connections.clear();
  };

  return {
    handle,
    stop() {
      running = false;
      closeAll(1012, "service restart");
      log("stopped");
    },
    start() {
      running = true;
      log("started");
    },
    get running() {
      return running;
    },
    get connections() {
      return connections.size;
    },
    get overMessageQuota() {
      return rate.triggered;
    },
    messageCounts: () => ({
      quota: rate.total,
      published: Object.fromEntries(topics.published),
      delivered: Object.fromEntries(topics.delivered),
      publishedOn: (event, topic) => topics.topicsByEvent.get(event)?.has(topic) ?? false,
    }),
    close() {
      rate.close();
      options.server.off("upgrade", onUpgrade);
      closeAll(1001, "going away");
      wss.close();
    },
  };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
