// Runs before Next.js routes a request under /api/ whose path carries a percent sign. Next.js answers
// a path whose percent-encoding does not decode (`%E0%A4%A`, `%ED%A0%80`) with a plain-text 500
// before any route runs; the API answers every client error as JSON instead.
import { NextResponse } from "next/server";
import { AppError } from "./lib/errors.ts";

/** Whether every `%XX` sequence of `pathname` decodes to UTF-8 (what a route's params need). */
function decodable(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

export function proxy(request: Request): Response {
  const { pathname } = new URL(request.url);
  if (decodable(pathname)) return NextResponse.next();
  return new AppError("bad_request:path", "The path's percent-encoding is not valid UTF-8.").toResponse();
}

export const config = { matcher: "/api/:path*" };
