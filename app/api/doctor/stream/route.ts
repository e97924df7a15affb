import { writeDiagnosticStream } from "@/lib/doctor/diagnostic-stream.ts";
import { createDoctorRateLimit } from "@/lib/doctor/rate-limit.ts";
import { otherMethods } from "@/lib/http/methods.ts";
import { route } from "@/lib/http/route.ts";
import { createSseStream, sseResponse } from "@/lib/http/sse.ts";
import { parseWith } from "@/lib/http/validate.ts";
import { processRuntime } from "@/process-runtime.ts";
import { doctorStreamQuerySchema } from "./schema.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
export const maxDuration = 800;

const DOCTOR_STREAMS_PER_MINUTE = 10;
const rateLimit = createDoctorRateLimit(DOCTOR_STREAMS_PER_MINUTE);

/** The stream doctor's diagnostic stream: the session stream's headers and pings, timed ticks, no agent. */
export const GET = route(async (request) => {
  const runtime = processRuntime();
  const user = await runtime.requireUser(request);
  const query = Object.fromEntries(new URL(request.url).searchParams);
  const plan = parseWith(doctorStreamQuerySchema, query, "bad_request:doctor");
  rateLimit.admit(user.id);
  const stream = createSseStream((writer) => writeDiagnosticStream(writer, plan, writer.signal), {
    signal: request.signal,
  });
  return sseResponse(stream);
});
