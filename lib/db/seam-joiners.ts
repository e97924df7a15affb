import type { SeamJoinerWrite } from "../session/ports.ts";
import type { Sql } from "./client.ts";

/** Records a seam's joiner in `seam_joiners` (keyed by the seam offset) if the epoch still holds the session. */
export async function recordSeamJoiner(sql: Sql, write: SeamJoinerWrite): Promise<void> {
  await sql`
    update sessions set seam_joiners = seam_joiners || jsonb_build_object(${String(write.seamOffset)}::text, ${write.joiner}::text)
    where id = ${write.sessionId} and epoch = ${write.epoch}`;
}
