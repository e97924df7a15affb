// The scale bench's agent in its own process, so its 20,000 tokens/s do not share the bench's CPU:
// prints its URL on the first line of stdout.
import { startScaleAgent } from "./scale-agent.ts";

const agent = await startScaleAgent();
console.log(agent.url);
process.on("SIGTERM", () => void agent.close().then(() => process.exit(0)));
