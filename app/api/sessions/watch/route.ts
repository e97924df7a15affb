import { otherMethods } from "@/lib/http/methods.ts";
import { userRoute } from "@/lib/http/user-route.ts";
import { watchOwnSessionList } from "@/lib/session/watch.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");

/** A tab shows the caller's sessions list (`user:<id>`): 204. */
export const POST = userRoute(processRuntime, async (_request, user, runtime) => {
  await watchOwnSessionList(runtime.sql, user.id);
  return new Response(null, { status: 204 });
});
