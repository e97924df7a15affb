import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { watchOwnSessionList } from "@/lib/session/watch.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");

/** A tab shows the caller's sessions list (`user:<id>`): 204. */
export const POST = route(async (request) => {
  const runtime = processRuntime();
  const user = await runtime.requireUser(request);
  await watchOwnSessionList(runtime.sql, user.id);
  return new Response(null, { status: 204 });
});
