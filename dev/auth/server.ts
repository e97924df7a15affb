import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import postgres from "postgres";
import { LOCAL_SUPABASE_SECRET_KEY } from "../../lib/env.ts";
import {
  attachRealtimeStandIn,
  type RealtimeStandIn,
  type RealtimeStandInOptions,
} from "../realtime/server.ts";
import { applySupabaseCors } from "./cors.ts";
import { createAuthHandler, type NodeHandler } from "./handler.ts";
import type { Mailer } from "./magic-link.ts";
import { loadOrCreateSigningKey, type SigningKey } from "./signing-key.ts";

export interface SupabaseStandInOptions {
  /** 54321 in dev (Supabase's API port); 0 picks a free one. */
  port: number;
  host?: string;
  databaseUrl: string;
  /** Where the signing key is kept so tokens survive restarts; in memory when absent. */
  stateDir?: string;
  /** Expected `iss`; defaults to `<url>/auth/v1`, matching lib/env `jwtIssuer()` for that URL. */
  issuer?: string;
  jwtExpirySeconds?: number;
  refreshTokenReuseIntervalSeconds?: number;
  /** Sends magic-link emails (locally into the inbox through the Resend stand-in). */
  mailer?: Mailer;
  /** The app's URL: where a magic link lands when the request named no `redirect_to`. */
  siteUrl?: string;
  /** More stand-ins served on the same port, tried after auth and Realtime. */
  handlers?: NodeHandler[];
  /** The key the Realtime stand-in maps to `service_role` (SUPABASE_SECRET_KEY). */
  secretKey?: string;
  /** Realtime limits and log (dev/realtime); hosted defaults when absent. */
  realtime?: Pick<
    RealtimeStandInOptions,
    "maxEventsPerSecond" | "maxConnections" | "rateTickMs" | "maxPayloadBytes" | "log"
  >;
}

export interface SupabaseStandIn {
  /** e.g. http://127.0.0.1:54321 — what SUPABASE_URL points at. */
  url: string;
  issuer: string;
  signingKey: SigningKey;
  /** The HTTP server, for stand-ins that also need `upgrade` (WebSocket). */
  server: Server;
  /** Supabase Realtime at `<url>/realtime/v1` (WebSocket and REST broadcast). */
  realtime: RealtimeStandIn;
  close(): Promise<void>;
}

/**
 * Serves the local Supabase stand-ins (auth now, more via `handlers`) on one port with Supabase's
 * paths; anything else answers 404 JSON.
 */
export async function startSupabaseStandIn(options: SupabaseStandInOptions): Promise<SupabaseStandIn> {
  const host = options.host ?? "127.0.0.1";
  const signingKey = await loadOrCreateSigningKey(
    options.stateDir ? path.join(options.stateDir, "auth-signing-key.json") : undefined,
  );
  const sql = postgres(options.databaseUrl, { max: 5, onnotice: () => {} });
  const handlers: NodeHandler[] = [];
  // Requests still running when the stand-in closes must finish before the pool ends: ending it
  // under a query in flight crashes postgres.js (a write on a closed socket) in this process.
  const inFlight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const handling = (async () => {
      for (const handler of handlers) {
        if (await handler(req, res)) return;
      }
      if (applySupabaseCors(req, res)) return;
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "no Supabase stand-in serves this path", path: req.url }));
    })().catch((error: unknown) => {
      console.error("supabase stand-in: request failed", { path: req.url, error });
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "internal error" }));
    });
    inFlight.add(handling);
    void handling.finally(() => inFlight.delete(handling));
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await sql.end();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const issuer = options.issuer ?? `${url}/auth/v1`;
  const realtime = attachRealtimeStandIn({
    sql,
    server,
    signingKey,
    secretKey: options.secretKey ?? LOCAL_SUPABASE_SECRET_KEY,
    ...options.realtime,
  });
  handlers.push(
    createAuthHandler({
      sql,
      issuer,
      signingKey,
      jwtExpirySeconds: options.jwtExpirySeconds,
      refreshTokenReuseIntervalSeconds: options.refreshTokenReuseIntervalSeconds,
      mailer: options.mailer,
      siteUrl: options.siteUrl,
    }),
    realtime.handle,
    ...(options.handlers ?? []),
  );

  return {
    url,
    issuer,
    signingKey,
    server,
    realtime,
    async close() {
      realtime.close();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => setTimeout(resolve, 10_000)),
      ]);
      await sql.end({ timeout: 5 });
    },
  };
}
