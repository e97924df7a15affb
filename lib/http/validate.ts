import type { z } from "zod";
import { AppError, type ErrorCode } from "../errors.ts";

/**
 * Parses with a zod schema; a failure is a 400 with `code` whose message names the field. `name` is
 * what a value without fields is called (a query parameter's name; default `body`).
 */
export function parseWith<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  code: ErrorCode,
  name = "body",
): z.infer<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.length ? issue.path.join(".") : name;
  throw new AppError(code, `${field}: ${issue?.message ?? "invalid"}`, { details: { field } });
}
