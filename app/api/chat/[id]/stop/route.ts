import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { parseWith } from "@/lib/http/validate.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { chatStopResultSchema } from "@/lib/session/wire.ts";
import { stopChat } from "@/lib/ui-stream/chat-session.ts";
import { processRuntime } from "@/process-runtime.ts";
import { chatIdSchema } from "../schema.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");

/** Stops the chat's running session (partial output kept): `200 {status}`, `409` when none runs. */
export const POST = route(async (request, context: { params: Promise<{ id: string }> }) => {
  const runtime = processRuntime();
  const user = await runtime.requireUser(request);
  const id = parseWith(chatIdSchema, (await context.params).id, "bad_request:id", "id");
  const result = await stopChat({ runtime, userId: user.id, id });
  return wireJson(chatStopResultSchema, result);
});
