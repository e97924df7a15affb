import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startLocalPostgres } from "../../dev/db/embedded.ts";
import { migrateLocalDatabase, seedLocalDatabase } from "../../dev/db/migrate.ts";
import { freePort } from "../../dev/net.ts";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

/**
 * The test suite's own embedded Postgres (never the dev one, on a free port), with the same
 * bootstrap, migrations and seed as `npm run dev`.
 */
export default async function setup(project: TestProject) {
  const root = await mkdtemp(path.join(tmpdir(), "overtime-test-"));
  const pg = await startLocalPostgres({
    dataDir: path.join(root, "pg"),
    port: await freePort(),
    persistent: false,
  });
  await migrateLocalDatabase(pg.url);
  await seedLocalDatabase(pg.url);
  process.env.DATABASE_URL = pg.url;
  project.provide("databaseUrl", pg.url);
  return async () => {
    await pg.stop();
    await rm(root, { recursive: true, force: true });
  };
}
