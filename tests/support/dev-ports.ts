import { freePort } from "../../dev/net.ts";

/** A free port for each service `npm run dev` starts: the app, Postgres, Supabase, the simulator, the inbox. */
export async function freeDevPorts(): Promise<{
  web: number;
  db: number;
  supabase: number;
  sim: number;
  inbox: number;
}> {
  return {
    web: await freePort(),
    db: await freePort(),
    supabase: await freePort(),
    sim: await freePort(),
    inbox: await freePort(),
  };
}
