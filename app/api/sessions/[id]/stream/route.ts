import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { sseResponse } from "@/lib/http/sse.ts";
import { openSessionStream } from "@/lib/session/session-stream.ts";
import { processRuntime } from "@/process-runtime.ts";
import { parseStreamRequest } from "./schema.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
export const maxDuration = 800;

export const GET = route(async (request, context: { params: Promise<{ id: string }> }) => {
  const runtime = processRuntime();
  const user = await runtime.requireUser(request);
  const { id } = await context.params;
  const { cursor, follow } = parseStreamRequest(request);
  const body = await openSessionStream(runtime, {
    sessionId: id,
    userId: user.id,
    cursor,
    follow,
    signal: request.signal,
  });
  return sseResponse(body);
});
