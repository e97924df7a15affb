import { isDetachable, listAgents } from "@/lib/agent/index.ts";
import { requireUser } from "@/lib/auth/index.ts";
import { getEnv } from "@/lib/env.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { agentListSchema } from "@/lib/session/wire.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");

/** The configured agents, without their URLs or tokens (those never leave the server). */
export const GET = route(async (request) => {
  await requireUser(request);
  const env = getEnv();
  return wireJson(
    agentListSchema,
    listAgents(env).map((agent) => ({
      name: agent.name,
      transport: agent.transport,
      model: agent.model,
      detachable: isDetachable(agent),
      default: agent.name === env.DEFAULT_AGENT,
    })),
  );
});
