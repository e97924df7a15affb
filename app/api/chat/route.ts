import { after } from "next/server";
import { markClientLeft } from "@/lib/db/notification-outbox.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { readJsonBody, route } from "@/lib/http/route.ts";
import { sseResponse } from "@/lib/http/sse.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { streamLiveChat } from "@/lib/session/live-response.ts";
import { startChat } from "@/lib/session/start-chat.ts";
import { backgroundAcceptanceSchema } from "@/lib/session/wire.ts";
import { isAiSdkBody } from "@/lib/ui-stream/chat-body.ts";
import { parseChatBody, startAiSdkChat } from "@/lib/ui-stream/post-chat.ts";
import { wantsSessionState } from "@/lib/ui-stream/response.ts";
import { processRuntime } from "@/process-runtime.ts";
import { MAX_CHAT_BODY_BYTES } from "./schema.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
export const maxDuration = 800;

export const POST = route(async (request) => {
  const runtime = processRuntime();
  const user = await runtime.requireUser(request);
  const body = parseChatBody(await readJsonBody(request, "chat", MAX_CHAT_BODY_BYTES));
  if (isAiSdkBody(body))
    return startAiSdkChat(
      { runtime, user, body, signal: request.signal, withState: wantsSessionState(request) },
      (run) => after(run),
    );
  const started = await startChat({ runtime, user, input: body });

  if (started.kind === "background") {
    return wireJson(
      backgroundAcceptanceSchema,
      {
        sessionId: started.sessionId,
        conversationId: started.conversationId,
        status: "background",
        streamUrl: `/api/sessions/${started.sessionId}/stream`,
      },
      { status: 202 },
    );
  }

  const { sql } = runtime;
  const live = streamLiveChat(started, request.signal, () => void markClientLeft(sql, started.sessionId));
  // The runner outlives the response: a client that goes away does not stop the session.
  after(live.run);
  return sseResponse(live.body);
});
