import { dsPreflight, dsRoute } from "@/lib/ds/handler.ts";

// The Durable Streams protocol at /api/ds (lib/ds): session logs at sessions/<id>, other streams
// elsewhere. Node.js runtime: reads wait on the process's LISTEN connection.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";
export const maxDuration = 800;

export const GET = dsRoute("GET");
export const HEAD = dsRoute("HEAD");
export const POST = dsRoute("POST");
export const PUT = dsRoute("PUT");
export const DELETE = dsRoute("DELETE");
export const OPTIONS = dsPreflight;
