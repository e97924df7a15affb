import { requireUser } from "@/lib/auth/index.ts";
import { getSql } from "@/lib/db/client.ts";
import { getEnv } from "@/lib/env.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { parseWith } from "@/lib/http/validate.ts";
import { getDispatcher } from "@/lib/jobs/dispatch.ts";
import { stopChat } from "@/lib/ui-stream/chat-session.ts";
import { chatIdSchema } from "../schema.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");

/** Stops the chat's running session (partial output kept): `200 {status}`, `409` when none runs. */
export const POST = route(async (request, context: { params: Promise<{ id: string }> }) => {
  const user = await requireUser(request);
  const id = parseWith(chatIdSchema, (await context.params).id, "bad_request:id", "id");
  const sql = getSql();
  const result = await stopChat({ sql, dispatcher: getDispatcher(getEnv(), sql), userId: user.id, id });
  return Response.json(result);
});
