export { testNotificationRequestSchema as testNotificationSchema } from "@/lib/session/wire.ts";
