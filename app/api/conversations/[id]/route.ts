import { getConversationOwnedBy } from "@/lib/db/conversations.ts";
import { AppError } from "@/lib/errors.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { conversationSchema } from "@/lib/session/wire.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");

export const GET = route(async (request, context: { params: Promise<{ id: string }> }) => {
  const runtime = processRuntime();
  const user = await runtime.requireUser(request);
  const { id } = await context.params;
  const conversation = await getConversationOwnedBy(runtime.sql, id, user.id);
  if (!conversation) throw new AppError("not_found:conversation", "Conversation not found.");
  return wireJson(conversationSchema, conversation);
});
