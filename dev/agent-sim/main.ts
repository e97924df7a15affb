import { startAgentSimulator } from "./server.ts";

/** `tsx dev/agent-sim/main.ts`: the agent simulator on AGENT_SIM_PORT (default 18789). */
const port = Number(process.env.AGENT_SIM_PORT ?? 18789);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`AGENT_SIM_PORT must be a port number, got "${process.env.AGENT_SIM_PORT}".`);
  process.exit(1);
}
const simulator = await startAgentSimulator({ port, host: process.env.AGENT_SIM_HOST ?? "127.0.0.1" });
console.log(`Agent simulator listening at ${simulator.url}`);
console.log(
  `  OpenClaw  ${simulator.url}/openclaw   OpenAI  ${simulator.url}/openai/v1   Anthropic  ${simulator.url}/anthropic`,
);
console.log(`  token: sim-dev-token   drive it with a first line like "#sim tokens=2000 rate=40 stages=2"`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`Agent simulator stopping (${signal})`);
  await simulator.close();
  process.exit(0);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
