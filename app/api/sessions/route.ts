import { requireUser } from "@/lib/auth/index.ts";
import { getSql } from "@/lib/db/client.ts";
import { listSessionsForUser } from "@/lib/db/sessions.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");

export const GET = route(async (request) => {
  const user = await requireUser(request);
  return Response.json(await listSessionsForUser(getSql(), user.id));
});
