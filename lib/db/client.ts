import postgres from "postgres";
import { getEnv } from "../env.ts";

export type Sql = postgres.Sql;

const globalForDb = globalThis as unknown as { overtimeSql?: Sql };

/**
 * The process-wide postgres.js pool (service role: the server is the only writer; users read their
 * own rows through RLS elsewhere). Kept on globalThis so Next's dev reloads do not leak pools.
 */
export function getSql(): Sql {
  if (!globalForDb.overtimeSql) {
    const env = getEnv();
    globalForDb.overtimeSql = createSql(env.DATABASE_URL, env.DATABASE_POOL_MAX);
  }
  return globalForDb.overtimeSql;
}

/** A new pool; callers own it and must `end()` it. */
export function createSql(url: string, max = 10): Sql {
  return postgres(url, {
    max,
    onnotice: () => {},
    idle_timeout: 30,
    connect_timeout: 10,
    // Offsets and sums are int8; they stay far below 2^53, so plain numbers are exact.
    types: {
      int8: {
        to: 20,
        from: [20],
        serialize: (value: number) => String(value),
        parse: (value: string) => Number(value),
      },
    },
    transform: { undefined: null },
  });
}
