import { otherMethods } from "@/lib/http/methods.ts";
import { userIdRoute } from "@/lib/http/user-route.ts";
import { watchOwnedSession } from "@/lib/session/watch.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");

/** A tab shows this session: its costs follow (DESIGN §4). 204, or the usual 404. */
export const POST = userIdRoute(processRuntime, async (_request, user, id, runtime) => {
  await watchOwnedSession(runtime.sql, id, user.id);
  return new Response(null, { status: 204 });
});
