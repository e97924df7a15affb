import path from "node:path";
import { parseEnv } from "../../lib/env.ts";
import { startSupabaseStandIn } from "./server.ts";

/**
 * Runs the Supabase stand-in alone: `npx tsx dev/auth/main.ts`. Listens where SUPABASE_URL points
 * (default http://127.0.0.1:54321) against DATABASE_URL; the signing key is kept in .state/auth.
 */
async function main(): Promise<void> {
  const env = parseEnv();
  const supabaseUrl = new URL(env.SUPABASE_URL);
  const standIn = await startSupabaseStandIn({
    host: supabaseUrl.hostname,
    port: Number(supabaseUrl.port || 54321),
    databaseUrl: env.DATABASE_URL,
    stateDir: path.resolve(import.meta.dirname, "../../.state/auth"),
    issuer: env.SUPABASE_JWT_ISSUER,
  });
  console.log(`Supabase stand-in (auth) listening on ${standIn.url}`);
  const stop = () => {
    standIn.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("Supabase stand-in: failed to stop cleanly", { error });
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error("Supabase stand-in: failed to start", { error });
  process.exit(1);
});
