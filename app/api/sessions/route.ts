import { listSessionsForUser } from "@/lib/db/sessions.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { sessionListSchema } from "@/lib/session/wire.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");

export const GET = route(async (request) => {
  const runtime = processRuntime();
  const user = await runtime.requireUser(request);
  return wireJson(sessionListSchema, await listSessionsForUser(runtime.sql, user.id));
});
