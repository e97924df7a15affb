// `npm run doctor -- <base URL> [--token <access token>] [--idle <seconds>] [--json]`
// Reads the app's diagnostic stream through whatever sits in front of it and says, per check, whether
// streaming works and, if not, which section of docs/deploy.md fixes it. Exit 0 only when all pass.
import { parseArgs } from "node:util";
import { DEFAULT_IDLE_SECONDS, runDoctor } from "../lib/doctor/run-doctor.ts";

const usage = "usage: npm run doctor -- <base URL> --token <access token> [--idle <seconds>] [--json]";

function exitWith(message: string): never {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

let parsed: ReturnType<typeof parseOptions>;
function parseOptions() {
  return parseArgs({
    allowPositionals: true,
    options: {
      token: { type: "string" },
      idle: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
}
try {
  parsed = parseOptions();
} catch (error) {
  exitWith(error instanceof Error ? error.message : String(error));
}
const { positionals, values } = parsed;
const baseUrl = positionals[0];
if (!baseUrl || positionals.length > 1)
  exitWith("Give exactly one base URL, e.g. https://overtime.example.com");
if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol))
  exitWith(`${baseUrl} is not an http(s) URL.`);
const token = values.token ?? process.env.OVERTIME_ACCESS_TOKEN;
if (!token)
  exitWith(
    "The diagnostic stream is for signed-in users: pass an access token with --token (or OVERTIME_ACCESS_TOKEN). " +
      "Get one by signing in against Supabase Auth (docs/deploy.md#stream-doctor shows the curl command).",
  );
const idleSeconds = values.idle === undefined ? DEFAULT_IDLE_SECONDS : Number(values.idle);
if (!Number.isInteger(idleSeconds) || idleSeconds < 0 || idleSeconds > 700)
  exitWith("--idle takes whole seconds from 0 (skip the idle check) to 700.");

if (!values.json)
  console.log(
    `Checking ${baseUrl} (about ${Math.max(8, idleSeconds)} s${idleSeconds > 0 ? `, holding an idle stream ${idleSeconds} s` : ""})…`,
  );
try {
  const report = await runDoctor(baseUrl, { token, idleSeconds });
  if (values.json) {
    console.log(JSON.stringify(report));
  } else {
    for (const check of report.checks) {
      console.log(`${check.ok ? "PASS" : "FAIL"}  ${check.name.padEnd(12)} ${check.detail}`);
      if (!check.ok) console.log(`      fix: ${check.fix}`);
    }
    console.log(
      report.ok ? "Streaming works through this path." : "Streaming is impaired: see the fixes above.",
    );
  }
  process.exit(report.ok ? 0 : 1);
} catch (error) {
  console.error(`doctor: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
