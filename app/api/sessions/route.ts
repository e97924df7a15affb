import { listSessionsForUser } from "@/lib/db/sessions.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { userRoute } from "@/lib/http/user-route.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { sessionListSchema } from "@/lib/session/wire.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");

export const GET = userRoute(processRuntime, async (_request, user, runtime) => {
  return wireJson(sessionListSchema, await listSessionsForUser(runtime.sql, user.id));
});
