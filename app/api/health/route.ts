import { getSql } from "@/lib/db/client.ts";
import { getEnv } from "@/lib/env.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { healthReport } from "@/lib/session/health.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");

/**
 * Liveness plus a bounded database round trip (503 `service_unavailable:database` within 2 s when it
 * does not answer), and the sessions waiting for a runner that knows their agent; used by deploy
 * checks and the test harness.
 */
export const GET = route(async () => Response.json(await healthReport(getSql(), getEnv())));
