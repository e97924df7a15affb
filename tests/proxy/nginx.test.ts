import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { signIn } from "../support/api.ts";
import { launchBrowser, newPage, signIn as signInInBrowser } from "../support/browser.ts";
import { doctorJson, failedChecks, runDoctorCli } from "../support/doctor.ts";
import { type RunningNginx, SHIPPED_CONF, shippedConf, startNginx } from "../support/nginx.ts";
import { runCommand } from "../support/run-command.ts";
import { startTestStack, type TestStack } from "../support/stack.ts";

const root = path.resolve(import.meta.dirname, "..", "..");
let stack: TestStack;
let appPort: number;
let token: string;
let browser: Browser | undefined;

beforeAll(async () => {
  stack = await startTestStack();
  appPort = Number(new URL(stack.appUrl).port);
  token = await signIn(stack.supabaseUrl, "alice@example.com");
});
afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

async function behind<T>(nginx: Promise<RunningNginx>, use: (url: string) => Promise<T>): Promise<T> {
  const running = await nginx;
  try {
    return await use(running.url);
  } finally {
    await running.stop();
  }
}

test("docs/deploy.md prints deploy/nginx/overtime.conf verbatim", async () => {
  const [doc, conf] = await Promise.all([
    readFile(path.join(root, "docs", "deploy.md"), "utf8"),
    readFile(SHIPPED_CONF, "utf8"),
  ]);
  expect(doc).toContain(`\`\`\`nginx\n${conf}\`\`\``);
});

describe("behind nginx with the guide's configuration", () => {
  test("the doctor passes every check, the idle one held past the 15 s ping", async () => {
    const report = await behind(
      startNginx((port) => shippedConf(appPort, port)),
      async (url) => doctorJson(await runDoctorCli([url, "--token", token, "--idle", "20", "--json"])),
    );
    expect(failedChecks(report), JSON.stringify(report.checks, null, 2)).toEqual([]);
    expect(report.ok).toBe(true);
  });

  test("a browser sees the answer grow in steps, and ?debug=stream measures it without a warning", async () => {
    const seen = await behind(
      startNginx((port) => shippedConf(appPort, port)),
      (url) => chatInBrowser(url),
    );
    // Text that arrives in one piece at the end (a buffering proxy) shows one length, not many.
    expect(seen.lengths.length, `lengths seen: ${seen.lengths.join(", ")}`).toBeGreaterThanOrEqual(4);
    expect(seen.debug.firstByte).toMatch(/^\d+ ms \/ \d+ ms \/ \d+ ms$/);
    expect(Number(seen.debug.events.split(" ")[0])).toBeGreaterThan(10);
    expect(seen.debug.warning).toBeNull();
  });
});

const BUFFERING_GZIP_DEFAULTS = (appPort: number) => (port: number) =>
  `server {
    listen 127.0.0.1:${port};
    location / {
        proxy_pass http://127.0.0.1:${appPort};
        proxy_ignore_headers X-Accel-Buffering;
    }
}
`;

/**
 * Signs Alice in through `url`, starts a chat from /chat?debug=stream and samples the answer's length
 * until the session completes; returns the lengths seen and what the stream debug panel showed.
 */
async function chatInBrowser(url: string) {
  browser ??= await launchBrowser();
  const { page, pageErrors, close } = await newPage(browser);
  try {
    await signInInBrowser(page, url, "alice@example.com", "overtime-dev");
    await page.goto(`${url}/chat?debug=stream`);
    await page.getByTestId("stream-debug").waitFor();
    await page.getByTestId("composer-input").fill("#sim tokens=400 rate=40");
    await page.getByTestId("send-button").click();
    const lengths: number[] = [];
    const raw = page.getByTestId("assistant-raw");
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline) {
      const length = (await raw.count()) === 0 ? 0 : ((await raw.textContent()) ?? "").length;
      if (length > (lengths.at(-1) ?? 0)) lengths.push(length);
      const status = page.locator('[data-testid="session-status"][data-status="completed"]');
      if ((await status.count()) > 0) break;
      await page.waitForTimeout(100);
    }
    const warning = page.getByTestId("stream-debug-warning");
    const panel = await page.getByTestId("stream-debug").textContent();
    const debug = {
      firstByte: (await page.getByTestId("stream-debug-first-byte").textContent()) ?? "",
      events: (await page.getByTestId("stream-debug-events").textContent()) ?? "",
      warning: (await warning.count()) > 0 ? await warning.textContent() : null,
      panel,
    };
    expect(pageErrors).toEqual([]);
    return { lengths, debug };
  } finally {
    await close();
  }
}

test("behind a buffering nginx, ?debug=stream on the session page warns of buffering", async () => {
  const seen = await behind(
    startNginx(BUFFERING_GZIP_DEFAULTS(appPort), "gzip on; gzip_types text/event-stream;"),
    (url) => chatInBrowser(url),
  );
  expect(seen.debug.warning ?? JSON.stringify(seen)).toMatch(/buffers the stream/);
});

test("with nginx's defaults (buffering on, X-Accel-Buffering ignored) and gzip for event streams, the doctor names buffering and compression", async () => {
  const run = await behind(
    startNginx(BUFFERING_GZIP_DEFAULTS(appPort), "gzip on; gzip_types text/event-stream;"),
    (url) => runDoctorCli([url, "--token", token, "--idle", "0", "--json"]),
  );
  const report = doctorJson(run);
  expect(run.code).toBe(1);
  expect(report.ok).toBe(false);
  const failed = failedChecks(report);
  expect(failed).toContain("buffering");
  expect(failed).toContain("compression");
  const fixOf = (name: string) => report.checks.find((check) => check.name === name)!.fix;
  expect(fixOf("buffering")).toMatch(/docs\/deploy\.md#proxies.*proxy_buffering off/);
  expect(fixOf("compression")).toMatch(/docs\/deploy\.md#proxies.*gzip_types/);
});

test("with proxy_read_timeout 5s, the doctor names the idle cut", async () => {
  const run = await behind(
    startNginx(async (port) => {
      const conf = await shippedConf(appPort, port);
      expect(conf).toContain("proxy_read_timeout 1h;");
      return conf.replace("proxy_read_timeout 1h;", "proxy_read_timeout 5s;");
    }),
    (url) => runDoctorCli([url, "--token", token, "--idle", "6", "--json"]),
  );
  const report = doctorJson(run);
  expect(run.code).toBe(1);
  expect(failedChecks(report)).toEqual(["idle"]);
  expect(report.checks.find((check) => check.name === "idle")!.detail).toMatch(/cut after 5\.\d s/);
});

describe("over TLS, the http-version check", () => {
  let certDir: string;
  beforeAll(async () => {
    certDir = await mkdtemp(path.join(tmpdir(), "overtime-tls-"));
    const made = await runCommand("openssl", [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"],
      ...["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
      ...["-keyout", path.join(certDir, "key.pem"), "-out", path.join(certDir, "cert.pem")],
    ]);
    expect(made.code, made.stderr).toBe(0);
  });
  afterAll(async () => {
    await rm(certDir, { recursive: true, force: true });
  });

  /** The shipped file with TLS added to its listen line, as the file's own comment says to. */
  const withTls = (http2: boolean) => async (port: number) => {
    const conf = await shippedConf(appPort, port);
    const listen = `listen 127.0.0.1:${port};`;
    expect(conf).toContain(listen);
    return conf.replace(
      listen,
      `listen 127.0.0.1:${port} ssl${http2 ? " http2" : ""};
    ssl_certificate ${path.join(certDir, "cert.pem")};
    ssl_certificate_key ${path.join(certDir, "key.pem")};`,
    );
  };
  const doctorOverTls = (url: string) =>
    runDoctorCli([url.replace("http://", "https://"), "--token", token, "--idle", "0", "--json"], {
      NODE_EXTRA_CA_CERTS: path.join(certDir, "cert.pem"),
    });

  test("passes when the server offers HTTP/2", async () => {
    const report = doctorJson(await behind(startNginx(withTls(true)), doctorOverTls));
    expect(failedChecks(report), JSON.stringify(report.checks, null, 2)).toEqual([]);
    expect(report.checks.find((check) => check.name === "http-version")!.detail).toMatch(/ALPN h2/);
  });

  test("names HTTP/1.1-only TLS, where browsers get 6 event streams per host", async () => {
    const run = await behind(startNginx(withTls(false)), doctorOverTls);
    const report = doctorJson(run);
    expect(run.code).toBe(1);
    expect(failedChecks(report)).toEqual(["http-version"]);
    expect(report.checks.find((check) => check.name === "http-version")!.fix).toMatch(/HTTP\/2/);
  });
});
