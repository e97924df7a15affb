import { getSql } from "@/lib/db/client.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { userIdRoute } from "@/lib/http/user-route.ts";
import { wireJson } from "@/lib/http/wire-json.ts";
import { getSessionSnapshot } from "@/lib/session/snapshot.ts";
import { sessionSnapshotSchema } from "@/lib/session/wire.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");

export const GET = userIdRoute(async (_request, user, id) => {
  return wireJson(sessionSnapshotSchema, await getSessionSnapshot(getSql(), id, user.id));
});
