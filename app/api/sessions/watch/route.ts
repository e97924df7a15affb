import { requireUser } from "@/lib/auth/index.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { processRuntime } from "@/lib/runtime/process-runtime.ts";
import { watchOwnSessionList } from "@/lib/session/watch.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");

/** A tab shows the caller's sessions list (`user:<id>`): 204. */
export const POST = route(async (request) => {
  const user = await requireUser(request);
  await watchOwnSessionList(processRuntime().sql, user.id);
  return new Response(null, { status: 204 });
});
