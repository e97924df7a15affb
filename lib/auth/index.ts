export {
  type AuthUser,
  createRequireUser,
  type RequireUser,
  type RequireUserOptions,
} from "./require-user.ts";
export { readSessionCookieToken, sessionCookieName } from "./session-cookie.ts";
export {
  type AccessTokenPayload,
  type AccessTokenVerifierOptions,
  createAccessTokenVerifier,
  remoteJwks,
} from "./verify-access-token.ts";
