import { type AuthUser, requireUser } from "../auth/index.ts";
import { route } from "./route.ts";

/** The context Next.js hands the handler of a route under a dynamic `[id]` segment. */
export interface IdContext {
  params: Promise<{ id: string }>;
}

/**
 * `route` for a signed-in caller: the handler runs with the user (a request without one is answered
 * 401 before it does).
 */
export function userRoute(
  handler: (request: Request, user: AuthUser) => Promise<Response>,
): (request: Request) => Promise<Response> {
  return route(async (request) => handler(request, await requireUser(request)));
}

/** `userRoute` under a dynamic `[id]` segment: the handler also gets the raw `id`. */
export function userIdRoute(
  handler: (request: Request, user: AuthUser, id: string) => Promise<Response>,
): (request: Request, context: IdContext) => Promise<Response> {
  return route(async (request, context: IdContext) => {
    const user = await requireUser(request);
    return handler(request, user, (await context.params).id);
  });
}
