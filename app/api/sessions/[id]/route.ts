import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { getSessionSnapshot } from "@/lib/session/snapshot.ts";
import { sessionSnapshotSchema } from "@/lib/session/wire.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");

export const GET = route(async (request, context: { params: Promise<{ id: string }> }) => {
  const runtime = processRuntime();
  const user = await runtime.requireUser(request);
  const { id } = await context.params;
  return wireJson(sessionSnapshotSchema, await getSessionSnapshot(runtime.sql, id, user.id));
});
