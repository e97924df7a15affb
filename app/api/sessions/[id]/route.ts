import { otherMethods } from "@/lib/http/methods.ts";
import { userIdRoute } from "@/lib/http/user-route.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { getSessionSnapshot } from "@/lib/session/snapshot.ts";
import { sessionSnapshotSchema } from "@/lib/session/wire.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");

export const GET = userIdRoute(processRuntime, async (_request, user, id, runtime) => {
  return wireJson(sessionSnapshotSchema, await getSessionSnapshot(runtime.sql, id, user.id));
});
