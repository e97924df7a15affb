import { getSql } from "@/lib/db/client.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");

/** Liveness plus a database round trip; used by deploy checks and the test harness. */
export const GET = route(async () => {
  await getSql()`select 1`;
  return Response.json({ ok: true });
});
