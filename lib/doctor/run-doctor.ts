import {
  type CheckResult,
  checkBuffering,
  checkCompression,
  checkFirstByte,
  checkHeaders,
  checkHttpVersion,
  checkIdle,
} from "./checks.ts";
import { negotiateAlpn, readDiagnosticStream } from "./probe.ts";

export interface DoctorOptions {
  token: string;
  /** Seconds the idle stream is held with only pings; 0 skips the idle check. */
  idleSeconds: number;
  /** How long ticks are sent and how far apart (ms). */
  durationMs?: number;
  tickMs?: number;
}

export interface DoctorReport {
  ok: boolean;
  checks: CheckResult[];
}

/** Default idle hold: past the 60 s that nginx, AWS ALB and many others cut idle connections at. */
export const DEFAULT_IDLE_SECONDS = 75;

/**
 * Runs every check against `GET <base>/api/doctor/stream`: one stream of timed ticks and, at the same
 * time, one held idle with only pings. Throws DoctorRequestError when the endpoint cannot be read at all.
 */
export async function runDoctor(baseUrl: string, options: DoctorOptions): Promise<DoctorReport> {
  const durationMs = options.durationMs ?? 8000;
  const tickMs = options.tickMs ?? 250;
  const endpoint = (query: Record<string, number>) => {
    const url = new URL("api/doctor/stream", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
    return url;
  };
  const ticksUrl = endpoint({ durationMs, tickMs, idleSeconds: 0 });
  const [ticks, idle, alpn] = await Promise.all([
    readDiagnosticStream(ticksUrl, { token: options.token, timeoutMs: durationMs + 60_000 }),
    options.idleSeconds > 0
      ? readDiagnosticStream(endpoint({ durationMs: 0, tickMs, idleSeconds: options.idleSeconds }), {
          token: options.token,
          timeoutMs: (options.idleSeconds + 60) * 1000,
        })
      : Promise.resolve(null),
    ticksUrl.protocol === "https:" ? negotiateAlpn(ticksUrl).then((protocol) => ({ alpn: protocol })) : null,
  ]);
  const checks = [
    checkHeaders(ticks),
    checkFirstByte(ticks),
    checkBuffering(ticks, tickMs),
    checkCompression(ticks),
    checkIdle(idle, options.idleSeconds),
    checkHttpVersion(ticks, alpn),
  ];
  return { ok: checks.every((check) => check.ok), checks };
}
