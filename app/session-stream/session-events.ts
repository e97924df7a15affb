// The browser decodes the session SSE format with the server's own contract (lib/session/wire.ts).
export {
  decodeSessionEvent as parseSessionEvent,
  SESSION_EVENT_NAMES,
  type SessionStreamEvent,
} from "@/lib/session/wire.ts";
