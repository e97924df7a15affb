import { resourceCatalog } from "@trigger.dev/core/v3";
import { StandardResourceCatalog } from "@trigger.dev/core/v3/workers";

export interface LoadedTask<Output> {
  run: (payload: unknown, params: { ctx: unknown; signal: AbortSignal }) => Promise<Output>;
  /** The task's payload schema at work (the payload itself when it has none). */
  parsePayload: (payload: unknown) => Promise<unknown>;
}

/**
 * A Trigger.dev task definition of trigger/, registered through the SDK's own offline harness: the
 * catalog must exist before the task module registers itself. `file` is relative to the repo root.
 */
export async function loadTriggerTask<Output>(file: string, id: string): Promise<LoadedTask<Output>> {
  resourceCatalog.setGlobalResourceCatalog(new StandardResourceCatalog());
  resourceCatalog.setCurrentFileContext(file, id);
  await import(`../../${file}`);
  const task = resourceCatalog.getTask(id);
  if (!task) throw new Error(`${id} is not registered`);
  return {
    run: task.fns.run as unknown as LoadedTask<Output>["run"],
    parsePayload: async (payload) => (task.fns.parsePayload ? task.fns.parsePayload(payload) : payload),
  };
}
