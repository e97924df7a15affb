export { settingsPatchSchema } from "@/lib/session/wire.ts";
