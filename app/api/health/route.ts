import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { healthReport } from "@/lib/session/health.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");

/**
 * Liveness plus a bounded database round trip (503 `service_unavailable:database` within 2 s when it
 * does not answer), and the sessions waiting for a runner that knows their agent; used by deploy
 * checks and the test harness.
 */
export const GET = route(async () => {
  const { sql, env } = processRuntime();
  return Response.json(await healthReport(sql, env));
});
