import type { AuthUser } from "../auth/index.ts";
import { route } from "./route.ts";

/** The context Next.js hands the handler of a route under a dynamic `[id]` segment. */
export interface IdContext {
  params: Promise<{ id: string }>;
}

/** What a signed-in route needs of the process's runtime: who the caller is. */
interface Authorizing {
  requireUser(request: Request): Promise<AuthUser>;
}

/**
 * `route` for a signed-in caller: the handler runs with the user and the process's runtime (a request
 * without a user is answered 401 before it does).
 */
export function userRoute<R extends Authorizing>(
  runtime: () => R,
  handler: (request: Request, user: AuthUser, runtime: R) => Promise<Response>,
): (request: Request) => Promise<Response> {
  return route(async (request) => {
    const current = runtime();
    return handler(request, await current.requireUser(request), current);
  });
}

/** `userRoute` under a dynamic `[id]` segment: the handler also gets the raw `id`. */
export function userIdRoute<R extends Authorizing>(
  runtime: () => R,
  handler: (request: Request, user: AuthUser, id: string, runtime: R) => Promise<Response>,
): (request: Request, context: IdContext) => Promise<Response> {
  return route(async (request, context: IdContext) => {
    const current = runtime();
    const user = await current.requireUser(request);
    return handler(request, user, (await context.params).id, current);
  });
}
