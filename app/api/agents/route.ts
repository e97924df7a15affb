import { isDetachable, listAgents } from "@/lib/agent/index.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { agentListSchema } from "@/lib/session/wire.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");

/** The configured agents, without their URLs or tokens (those never leave the server). */
export const GET = route(async (request) => {
  const { env, requireUser } = processRuntime();
  await requireUser(request);
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
