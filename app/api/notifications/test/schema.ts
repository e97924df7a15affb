import { z } from "zod";

export const testNotificationSchema = z.object({ channel: z.enum(["email", "telegram"]) });
