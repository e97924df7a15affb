import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { cancelSession } from "@/lib/session/cancel.ts";
import { cancelResultSchema } from "@/lib/session/wire.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");

export const POST = route(async (request, context: { params: Promise<{ id: string }> }) => {
  const runtime = processRuntime();
  const user = await runtime.requireUser(request);
  const { id } = await context.params;
  const result = await cancelSession({
    runtime,
    sessionId: id,
    userId: user.id,
  });
  return wireJson(cancelResultSchema, result);
});
