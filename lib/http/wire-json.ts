import type { z } from "zod";

/**
 * A JSON response whose body is encoded with its wire schema (`lib/session/wire.ts`): the body must
 * fit the schema's type at compile time, and is parsed at run time, so a route can never send what
 * the browser's decoder would refuse (a bug fails loudly here, as a 500).
 */
export function wireJson<Schema extends z.ZodType>(
  schema: Schema,
  body: z.input<Schema>,
  init?: ResponseInit,
): Response {
  return Response.json(schema.parse(body), init);
}
