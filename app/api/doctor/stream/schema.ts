import { z } from "zod";

/** `GET /api/doctor/stream?durationMs=&tickMs=&idleSeconds=`: what the diagnostic stream sends. */
export const doctorStreamQuerySchema = z.object({
  durationMs: z.coerce.number().int().min(0).max(60_000).default(8000),
  tickMs: z.coerce.number().int().min(50).max(10_000).default(250),
  // Stays inside the route's maxDuration (800 s) with room for the ticks.
  idleSeconds: z.coerce.number().int().min(0).max(700).default(0),
});
