import { dsPreflight, dsRoute } from "@/lib/ds/handler.ts";
import { processRuntime } from "@/process-runtime.ts";

// The Durable Streams protocol at /api/ds (lib/ds): session logs at sessions/<id>, other streams
// elsewhere. Node.js runtime: reads wait on the process's LISTEN connection.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";
export const maxDuration = 800;

export const GET = dsRoute("GET", processRuntime);
export const HEAD = dsRoute("HEAD", processRuntime);
export const POST = dsRoute("POST", processRuntime);
export const PUT = dsRoute("PUT", processRuntime);
export const DELETE = dsRoute("DELETE", processRuntime);
export const OPTIONS = dsPreflight;
