import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { exitOnLocalPostgresError, startLocalPostgres } from "../../dev/db/embedded.ts";
import { migrateLocalDatabase, seedLocalDatabase } from "../../dev/db/migrate.ts";
import { freePort } from "../../dev/net.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The server's maintenance database, for CREATE DATABASE. */
    adminUrl: string;
  }
}

/**
 * The test suite's own embedded Postgres (never the dev one, on a free port). The bootstrap, the
 * migrations (through the Supabase CLI) and the seed go into a template database that each test
 * file clones, so files can run in parallel without seeing each other's rows.
 */
export default async function setup(project: TestProject) {
  const root = await mkdtemp(path.join(tmpdir(), "overtime-test-"));
  const pg = await startLocalPostgres({
    dataDir: path.join(root, "pg"),
    port: await freePort(),
    persistent: false,
  }).catch(exitOnLocalPostgresError);
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  await admin`create database overtime_template`;
  const templateUrl = pg.url.replace(/\/postgres$/, "/overtime_template");
  await migrateLocalDatabase(templateUrl);
  await seedLocalDatabase(templateUrl);
  await admin`alter database overtime_template with is_template true`;
  await admin.end();
  project.provide("adminUrl", pg.url);
  return async () => {
    await pg.stop();
    await rm(root, { recursive: true, force: true });
  };
}
