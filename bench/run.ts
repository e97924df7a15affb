// `npm run bench`: figures for DESIGN §10, each with its baseline measured in the same run.
import { activeLiveStreams } from "./active-streams.ts";
import { handoffGap, workerCapacity } from "./background.ts";
import { dsCatchUp, dsIdleLongPolls } from "./durable-streams.ts";
import { type BenchEnvironment, startBenchEnvironment } from "./environment.ts";
import { liveLatency, liveScale } from "./live-path.ts";
import { notificationDelay } from "./notifications.ts";
import { idleReaders, resumeFirstByte } from "./read-path.ts";
import { realtimeFollowCost, realtimeMessages } from "./realtime.ts";
import { scaleBench } from "./scale-report.ts";
import { checkpointRate } from "./session-log.ts";
import { storageCost } from "./storage.ts";
import { telegramLoop } from "./telegram.ts";
import { uiLiveLatency, uiResume } from "./ui-stream.ts";

const benches: Record<string, (environment: BenchEnvironment) => Promise<void>> = {
  live: liveLatency,
  "live-scale": liveScale,
  scale: scaleBench,
  active: activeLiveStreams,
  checkpoint: checkpointRate,
  resume: resumeFirstByte,
  idle: idleReaders,
  "ds-resume": dsCatchUp,
  "ds-idle": dsIdleLongPolls,
  handoff: handoffGap,
  worker: workerCapacity,
  notify: notificationDelay,
  storage: storageCost,
  telegram: telegramLoop,
  "ui-resume": uiResume,
  "ui-live": uiLiveLatency,
  realtime: async (environment) => {
    await realtimeMessages(environment);
    await realtimeFollowCost(environment);
  },
};
// `npm run bench -- handoff live` runs only those; no names runs them all.
const selected = process.argv.slice(2).filter((name) => name in benches);
const environment = await startBenchEnvironment();
try {
  for (const [name, bench] of Object.entries(benches)) {
    if (selected.length === 0 || selected.includes(name)) await bench(environment);
  }
} finally {
  await environment.close();
}
process.exit(0);
