import { AppError } from "../errors.ts";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type HttpMethod = (typeof METHODS)[number];

type Handler = (request: Request) => Response;

/** The `Allow` header of a route that answers `allowed` (HEAD comes with GET, OPTIONS always). */
function allowHeader(allowed: readonly HttpMethod[]): string {
  const methods = new Set<HttpMethod>([...allowed, "OPTIONS"]);
  if (methods.has("GET")) methods.add("HEAD");
  return METHODS.filter((method) => methods.has(method)).join(", ");
}

/**
 * Handlers for every method a route does not answer: a 405 JSON `{code, message}` with `Allow`
 * (Next.js alone sends an empty 405), and OPTIONS answered with the same `Allow`. A route exports
 * them beside its own handlers:
 * `export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");`
 */
export function otherMethods<const Allowed extends HttpMethod[]>(
  ...allowed: Allowed
): Record<Exclude<HttpMethod, Allowed[number] | (Allowed[number] extends "GET" ? "HEAD" : never)>, Handler> {
  const allow = allowHeader(allowed);
  const refuse: Handler = (request) =>
    new AppError("method_not_allowed:request", `${request.method} is not allowed here; use ${allow}.`, {
      headers: { allow },
    }).toResponse();
  const handlers: Partial<Record<HttpMethod, Handler>> = {};
  for (const method of METHODS) {
    if (allowed.includes(method) || (method === "HEAD" && allowed.includes("GET"))) continue;
    handlers[method] =
      method === "OPTIONS" ? () => new Response(null, { status: 204, headers: { allow } }) : refuse;
  }
  return handlers as Record<Exclude<HttpMethod, Allowed[number]>, Handler>;
}
