import { expect, test, vi } from "vitest";

// Next.js bundles instrumentation.ts (which builds the runtime) and each route separately: an error a
// runtime member throws comes from another copy of lib/errors.ts than the route's `route()` wrapper.
test("an AppError from another copy of its module is still an AppError, and keeps its status", async () => {
  const runtimeCopy = await import("../../lib/errors.ts");
  vi.resetModules();
  const routeCopy = await import("../../lib/errors.ts");
  expect(routeCopy.AppError).not.toBe(runtimeCopy.AppError);
  const error: unknown = new runtimeCopy.AppError("unauthorized:missing_token", "Sign in to continue.");
  expect(error instanceof routeCopy.AppError).toBe(true);
  expect(new Error("plain") instanceof routeCopy.AppError).toBe(false);
  const nothing: unknown = null;
  expect(nothing instanceof routeCopy.AppError).toBe(false);
  if (!(error instanceof routeCopy.AppError)) throw new Error("unreachable");
  expect(error.toResponse().status).toBe(401);
});
