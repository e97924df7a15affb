import postgres from "postgres";
import { type Env, isTransactionPoolerUrl, listenUrl, parseEnv } from "../env.ts";

export type Sql = postgres.Sql;

const globalForDb = globalThis as unknown as { overtimeSql?: Sql };

/**
 * The process-wide postgres.js pool (service role: the server is the only writer; users read their
 * own rows through RLS elsewhere), built from the first call's settings (`process.env` when none are
 * given). Kept on globalThis so Next's dev reloads do not leak pools: the only process state in lib/.
 */
export function getSql(settings?: Env): Sql {
  if (!globalForDb.overtimeSql) {
    const env = settings ?? parseEnv();
    const sql = createSql(env.DATABASE_URL, env.DATABASE_POOL_MAX);
    if (listenUrl(env) !== env.DATABASE_URL) {
      // postgres.js opens a dedicated connection for LISTEN from the pool's own options; when the
      // pool goes through a transaction pooler, that connection must come from the LISTEN URL instead.
      // (parseEnv has already refused a LISTEN URL that is itself a transaction pooler.)
      sql.listen = createSql(listenUrl(env), 1).listen;
    }
    globalForDb.overtimeSql = sql;
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
    // A transaction pooler hands each transaction a different server connection: no prepared statements.
    prepare: !isTransactionPoolerUrl(url),
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
