import { getSql } from "@/lib/db/client.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Liveness plus a database round trip; used by deploy checks and the test harness. */
export async function GET() {
  await getSql()`select 1`;
  return Response.json({ ok: true });
}
