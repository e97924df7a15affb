import { combineChunks, parseCookieHeader, stringFromBase64URL } from "@supabase/ssr";

const BASE64_PREFIX = "base64-";

/**
 * The cookie @supabase/ssr keeps the session in: supabase-js's default storage key,
 * `sb-<first label of the project host>-auth-token` (`sb-127-auth-token` for http://127.0.0.1:54321).
 */
export function sessionCookieName(supabaseUrl: string): string {
  return `sb-${new URL(supabaseUrl).hostname.split(".")[0]}-auth-token`;
}

/**
 * The access token in the SSR session cookie of a `Cookie` header: `undefined` when there is no
 * such cookie, `"malformed"` when it cannot be decoded. Handles what @supabase/ssr writes: one
 * cookie or chunks `<name>.0`, `<name>.1`…, each value optionally `base64-`+base64url of the JSON session.
 */
export async function readSessionCookieToken(
  cookieHeader: string | null,
  cookieName: string,
): Promise<string | "malformed" | undefined> {
  if (!cookieHeader) return undefined;
  const cookies = parseCookieHeader(cookieHeader);
  const combined = await combineChunks(
    cookieName,
    (name) => cookies.find((cookie) => cookie.name === name)?.value || null,
  );
  if (!combined) return undefined;
  let json: string;
  try {
    json = combined.startsWith(BASE64_PREFIX)
      ? stringFromBase64URL(combined.slice(BASE64_PREFIX.length))
      : combined;
  } catch {
    // Not valid base64url: treated as a malformed session by the caller (401 invalid_token).
    return "malformed";
  }
  let session: unknown;
  try {
    session = JSON.parse(json);
  } catch {
    return "malformed";
  }
  const token = (session as { access_token?: unknown } | null)?.access_token;
  return typeof token === "string" && token !== "" ? token : "malformed";
}
