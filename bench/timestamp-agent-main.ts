// The timestamp agent in its own process, for benchmarks where the agent must not share the bench's
// CPU: prints its URL on the first line of stdout. Args: <deltas> <perSecond>.
import { startTimestampAgent } from "./timestamp-agent.ts";

const [deltas, perSecond] = process.argv.slice(2).map(Number);
const agent = await startTimestampAgent({ deltas: deltas ?? 200, perSecond: perSecond ?? 20 });
console.log(agent.url);
process.on("SIGTERM", () => void agent.close().then(() => process.exit(0)));
