// The set-ups the test files share: a test stack for a file or describe block (`withStack`), the same
// with a browser (`withBrowserStack`) and its pages (`signedInPage`, `freshPage`). Each registers its
// own `beforeAll`/`afterAll`; what they return is usable once `beforeAll` ran, and is closed after
// the block in reverse order (vitest runs `afterAll` hooks as a stack: a file's own later hooks first).

import { randomUUID } from "node:crypto";
import type { Browser } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll } from "vitest";
import { startLocalWorkerProcess } from "../e2e/local-worker.ts";
import { api, DEV_PASSWORD, signIn as signInApi, signUp } from "./api.ts";
import { launchBrowser, newPage, signIn, type TestPage } from "./browser.ts";
import { startTestStack, type TestStack, type TestStackOptions } from "./stack.ts";

export type Api = ReturnType<typeof api>;

export interface StackFixtureOptions extends TestStackOptions {
  /**
   * A background runner once the stack is up: `"stack"`, `stack.startWorker()` (waits until it
   * started); `"process"`, a plain `npm run worker` process, as `npm run dev` starts one.
   */
  worker?: "stack" | "process";
  /** Open `sql` on the stack's database with this many connections. */
  sql?: number;
  /** Sign this user in through the Supabase stand-in: `token` and `user` are theirs. */
  signIn?: string;
}

/**
 * A stand-in for a value that exists only once `beforeAll` has run: every call and property read goes
 * to `current()`. Lets a file name its fixtures once, at the top, instead of `let` plus assignment.
 */
function lateBound<T extends object>(what: string, current: () => T | undefined): T {
  const target = (() => {}) as unknown as T;
  const resolve = () => {
    const value = current();
    if (value === undefined) throw new Error(`${what} is not ready: read it inside tests and hooks`);
    return value as T & Record<PropertyKey, unknown>;
  };
  return new Proxy(target, {
    apply: (_target, _this, args) => (resolve() as unknown as (...a: unknown[]) => unknown)(...args),
    get: (_target, key) => {
      const value = resolve()[key];
      return typeof value === "function" ? value.bind(resolve()) : value;
    },
  });
}

export interface StackFixture {
  stack: TestStack;
  /** The stack's database, when `options.sql` was set. */
  sql: postgres.Sql;
  /** The API as `options.signIn`'s user, and its access token (empty without `signIn`). */
  user: Api;
  token(): string;
}

/**
 * The test stack of the enclosing file or `describe`, started before its tests and closed after (a
 * worker it started, then `sql`, then the stack). What it returns is usable inside tests and hooks.
 */
export function withStack(options: StackFixtureOptions = {}): StackFixture {
  let stack: TestStack | undefined;
  let sql: postgres.Sql | undefined;
  let user: Api | undefined;
  let token = "";
  let worker: { stop(): Promise<void> } | undefined;
  beforeAll(async () => {
    const { worker: workerKind, sql: connections, signIn: email, ...stackOptions } = options;
    stack = await startTestStack(stackOptions);
    if (workerKind === "stack") await stack.startWorker();
    if (workerKind === "process") worker = startLocalWorkerProcess(stack.env);
    if (connections) sql = postgres(stack.databaseUrl, { max: connections, onnotice: () => {} });
    if (email) token = await signInApi(stack.supabaseUrl, email);
    user = api(stack.appUrl, token);
  });
  afterAll(async () => {
    await worker?.stop();
    await sql?.end();
    await stack?.close();
  });
  return {
    stack: lateBound("the test stack", () => stack),
    sql: lateBound("sql (set `sql` in withStack's options)", () => sql),
    user: lateBound("the signed-in user", () => user),
    token: () => token,
  };
}

export interface BrowserFixture {
  /** A fresh page (own cookies) for a test that handles several at once; the caller closes it. */
  newPage(): Promise<TestPage>;
  /** Runs `body` on a fresh page (own cookies) and closes the page whatever happens. */
  freshPage<T>(body: (page: TestPage) => Promise<T>): Promise<T>;
  /** The same, signed in first through the form at /sign-in (password: the seed users' one). */
  signedInPage<T>(
    user: string | { email: string; password: string },
    body: (page: TestPage) => Promise<T>,
  ): Promise<T>;
}

/** `withStack` and a headless Chromium, closed before the stack. */
export function withBrowserStack(options: StackFixtureOptions = {}): BrowserFixture & StackFixture {
  const fixture = withStack(options);
  const { stack } = fixture;
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  const openPage = () => {
    if (!browser) throw new Error("the browser is not started: open pages inside tests");
    return newPage(browser);
  };
  const freshPage = async <T>(body: (page: TestPage) => Promise<T>): Promise<T> => {
    const testPage = await openPage();
    try {
      return await body(testPage);
    } finally {
      await testPage.close();
    }
  };
  return {
    ...fixture,
    newPage: openPage,
    freshPage,
    signedInPage: (user, body) =>
      freshPage(async (testPage) => {
        const { email, password } = typeof user === "string" ? { email: user, password: DEV_PASSWORD } : user;
        await signIn(testPage.page, stack.appUrl, email, password);
        return body(testPage);
      }),
  };
}

/** A new account (signed up through the Supabase stand-in) granted `credits`: its API and user id. */
export async function userWithCredits(
  fixture: { stack: TestStack; sql: postgres.Sql },
  credits: number,
  label: string,
): Promise<{ user: Api; userId: string }> {
  const { stack, sql } = fixture;
  const email = `${label}-${randomUUID()}@example.com`;
  const user = api(stack.appUrl, await signUp(stack.supabaseUrl, email));
  const [row] = await sql<{ id: string }[]>`select id from auth.users where email = ${email}`;
  await sql`insert into credit_ledger (user_id, amount, kind, idempotency_key)
            values (${row!.id}, ${credits}, 'grant', ${`test:${row!.id}`})`;
  return { user, userId: row!.id };
}
