import { getCreditBalance } from "@/lib/db/credits.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { creditsSchema } from "@/lib/session/wire.ts";
import { processRuntime } from "@/process-runtime.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");

/** The caller's credit balance (1 credit = US$0.01), for the header. */
export const GET = route(async (request) => {
  const runtime = processRuntime();
  const user = await runtime.requireUser(request);
  return wireJson(creditsSchema, { balance: await getCreditBalance(runtime.sql, user.id) });
});
