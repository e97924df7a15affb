"use client";

import { useEffect, useState } from "react";
import { fetchAgents } from "../session-stream/session-api.ts";
import type { AgentOption } from "../session-stream/session-types.ts";

/**
 * The agents the server offers (`GET /api/agents`); null until loaded. `defaultAgent` is the one the
 * server marks as its default; null until the list loads (or if it cannot): then the server chooses.
 */
export function useAgents(): {
  agents: AgentOption[] | null;
  defaultAgent: string | null;
  error: string | null;
} {
  const [agents, setAgents] = useState<AgentOption[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    fetchAgents(abort.signal)
      .then(setAgents)
      .catch((reason: unknown) => {
        if (abort.signal.aborted) return;
        console.warn("Could not load the agent list.", reason);
        setError("Could not load the agent list; the default agent will be used.");
      });
    return () => abort.abort();
  }, []);
  const defaultAgent = agents?.find((option) => option.default)?.name ?? agents?.[0]?.name ?? null;
  return { agents, defaultAgent, error };
}
