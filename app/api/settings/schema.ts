import { z } from "zod";

export const settingsPatchSchema = z
  .object({ notifyEmail: z.boolean().optional(), notifyTelegram: z.boolean().optional() })
  .strict();
