import type { IncomingMessage } from "node:http";
import { readBodyBytes } from "./http.ts";

/** Telegram accepts uploads up to 50 MB; the stand-in holds them in memory, so less. */
const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

/** A file sent as a multipart part (sendDocument's `document`). */
export interface UploadedFile {
  fileName: string;
  content: Buffer;
}

/**
 * Bot API parameters as Telegram reads them: the query string, then a JSON, form or multipart
 * body (grammY sends multipart when a method carries an `InputFile`). Values that look like JSON
 * (`reply_markup`, `reply_parameters` in form bodies) are parsed. Undefined for a broken body.
 */
export async function readBotApiParams(
  req: IncomingMessage,
  url: URL,
): Promise<Record<string, unknown> | undefined> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const raw = await readBodyBytes(req, MAX_UPLOAD_BYTES);
  if (raw.length === 0) return params;
  const type = req.headers["content-type"] ?? "";
  if (type.includes("multipart/form-data")) return readMultipart(raw, type, params);
  const text = raw.toString("utf8");
  if (type.includes("application/x-www-form-urlencoded")) {
    for (const [key, value] of new URLSearchParams(text)) params[key] = parseMaybeJson(value);
    return params;
  }
  try {
    return { ...params, ...(JSON.parse(text) as Record<string, unknown>) };
  } catch {
    return undefined;
  }
}

/** Multipart parsed by the platform's own parser (undici's `Request.formData`). */
async function readMultipart(
  raw: Buffer,
  contentType: string,
  params: Record<string, unknown>,
): Promise<Record<string, unknown> | undefined> {
  let form: FormData;
  try {
    form = await new Request("http://inbox/", {
      method: "POST",
      headers: { "content-type": contentType },
      body: new Uint8Array(raw),
    }).formData();
  } catch {
    return undefined;
  }
  for (const [key, value] of form) {
    if (typeof value === "string") params[key] = parseMaybeJson(value);
    else {
      const file: UploadedFile = {
        fileName: value.name || "file",
        content: Buffer.from(await value.arrayBuffer()),
      };
      params[key] = file;
    }
  }
  // grammY (like other clients) names the file part and refers to it as `attach://<name>`.
  for (const [key, value] of Object.entries(params)) {
    if (typeof value === "string" && value.startsWith("attach://")) {
      const file = params[value.slice("attach://".length)];
      if (isUploadedFile(file)) params[key] = file;
    }
  }
  return params;
}

function parseMaybeJson(value: string): unknown {
  if (!/^[[{]/.test(value)) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Whether a parameter is an uploaded file (rather than a file id or URL string). */
export function isUploadedFile(value: unknown): value is UploadedFile {
  return typeof value === "object" && value !== null && Buffer.isBuffer((value as UploadedFile).content);
}
