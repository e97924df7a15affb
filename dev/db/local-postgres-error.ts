/**
 * A start-up failure of the embedded PostgreSQL. Its message is one line that says what happened and
 * what to do; entry points print only that line (no stack trace).
 */
export class LocalPostgresError extends Error {
  constructor(problem: string) {
    super(`Embedded PostgreSQL could not start: ${problem.replace(/\s+/g, " ").trim()}`);
    this.name = "LocalPostgresError";
  }
}

/** For entry points: prints a `LocalPostgresError` as its one line and exits 1; rethrows anything else. */
export function exitOnLocalPostgresError(error: unknown): never {
  if (error instanceof Error && error.name === "LocalPostgresError") {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
