import { after } from "next/server";
import { requireUser } from "@/lib/auth/index.ts";
import { getSql } from "@/lib/db/client.ts";
import { markClientLeft } from "@/lib/db/notification-outbox.ts";
import { getEnv } from "@/lib/env.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { readJsonBody, route } from "@/lib/http/route.ts";
import { sseResponse } from "@/lib/http/sse.ts";
import { getDispatcher } from "@/lib/jobs/dispatch.ts";
import { streamLiveChat } from "@/lib/session/live-response.ts";
import { startChat } from "@/lib/session/start-chat.ts";
import { isAiSdkBody } from "@/lib/ui-stream/chat-body.ts";
import { parseChatBody, startAiSdkChat } from "@/lib/ui-stream/post-chat.ts";
import { MAX_CHAT_BODY_BYTES } from "./schema.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
export const maxDuration = 800;

export const POST = route(async (request) => {
  const user = await requireUser(request);
  const body = parseChatBody(await readJsonBody(request, "chat", MAX_CHAT_BODY_BYTES));
  const env = getEnv();
  const sql = getSql();
  const dispatcher = getDispatcher(env, sql);
  if (isAiSdkBody(body))
    return startAiSdkChat({ sql, env, dispatcher, user, body, signal: request.signal }, (run) => after(run));
  const started = await startChat({ sql, env, dispatcher, user, input: body });

  if (started.kind === "background") {
    return Response.json(
      {
        sessionId: started.sessionId,
        conversationId: started.conversationId,
        status: "background",
        streamUrl: `/api/sessions/${started.sessionId}/stream`,
      },
      { status: 202 },
    );
  }

  const live = streamLiveChat(started, request.signal, () => void markClientLeft(sql, started.sessionId));
  // The runner outlives the response: a client that goes away does not stop the session.
  after(live.run);
  return sseResponse(live.body);
});
