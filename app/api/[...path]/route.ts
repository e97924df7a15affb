import { AppError } from "@/lib/errors.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Any /api path no route answers: a JSON 404 like every other API error, whatever the method. */
function notFound(): Response {
  return new AppError("not_found:route", "No API endpoint at this path.").toResponse();
}

export const GET = notFound;
export const HEAD = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
export const OPTIONS = notFound;
