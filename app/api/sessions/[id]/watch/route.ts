import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { watchOwnedSession } from "@/lib/session/watch.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");

/** A tab shows this session: its costs follow (DESIGN §4). 204, or the usual 404. */
export const POST = route(async (request, context: { params: Promise<{ id: string }> }) => {
  const runtime = processRuntime();
  const user = await runtime.requireUser(request);
  const { id } = await context.params;
  await watchOwnedSession(runtime.sql, id, user.id);
  return new Response(null, { status: 204 });
});
