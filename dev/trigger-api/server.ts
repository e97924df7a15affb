import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for the Trigger.dev API endpoints that `trigger.dev deploy --dry-run` (CLI 4.8.3) calls
 * before it bundles the tasks, so the real build can run offline:
 *
 * - `GET /api/v2/whoami` (personal access token): who is deploying
 * - `GET /api/v1/projects/:ref/:env` (personal access token): the environment's API URL and key
 * - `GET /api/v1/projects/:ref/:env/deploy-settings` (environment key): `build_path: "depot"`, the
 *   path on which `--dry-run` bundles locally
 * - `GET /api/v1/projects/:ref/envvars` (environment key): the environment's variables (none)
 *
 * and the one the image's indexing step (`managed-index-controller`) calls after the build, which the
 * test runs on the built output as the image would:
 *
 * - `POST /api/v1/deployments/:id/background-workers` (environment key): the indexed worker; the
 *   body is kept in `backgroundWorkers`
 *
 * Anything else is answered 404 naming the request and recorded in `unanswered`, so a CLI upgrade
 * that calls something new is seen, not silently tolerated.
 */
export interface TriggerApiStandIn {
  url: string;
  /** Every request, as `METHOD /path`. */
  requests: string[];
  unanswered: string[];
  /** Bodies of `POST …/background-workers`: what indexing reported (tasks, queues, schedules). */
  backgroundWorkers: { metadata: { tasks: { id: string }[] } }[];
  close(): Promise<void>;
}

export interface TriggerApiStandInOptions {
  /** The personal access token (`tr_pat_…`) the CLI must send. */
  accessToken: string;
  port?: number;
}

export async function startTriggerApiStandIn(options: TriggerApiStandInOptions): Promise<TriggerApiStandIn> {
  const requests: string[] = [];
  const unanswered: string[] = [];
  const backgroundWorkers: TriggerApiStandIn["backgroundWorkers"] = [];
  let url = "";
  const environmentKey = (env: string) => `tr_${env}_standin`;

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? "/", "http://stand-in").pathname;
    requests.push(`${request.method} ${path}`);
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    const unauthorized = () => json(401, { error: "Invalid or missing token" });
    const isEnvironmentKey = (key: string | undefined) =>
      key?.startsWith("tr_") && !key.startsWith("tr_pat_");
    const worker = /^\/api\/v1\/deployments\/([^/]+)\/background-workers$/.exec(path);
    if (request.method === "POST" && worker) {
      if (!isEnvironmentKey(bearer)) return unauthorized();
      let text = "";
      for await (const chunk of request) text += String(chunk);
      const body = JSON.parse(text) as TriggerApiStandIn["backgroundWorkers"][number] & {
        metadata: { contentHash: string };
      };
      backgroundWorkers.push(body);
      return json(200, {
        id: "worker_standin",
        version: "standin.1",
        contentHash: body.metadata.contentHash,
      });
    }
    if (request.method !== "GET") {
      unanswered.push(`${request.method} ${path}`);
      return json(404, { error: `The stand-in does not answer ${request.method} ${path}` });
    }
    if (path === "/api/v2/whoami") {
      if (bearer !== options.accessToken) return unauthorized();
      return json(200, { userId: "user_standin", email: "deploy@example.com", dashboardUrl: url });
    }
    const envvars = /^\/api\/v1\/projects\/([^/]+)\/envvars$/.exec(path);
    if (envvars) {
      if (!isEnvironmentKey(bearer)) return unauthorized();
      return json(200, { variables: {} });
    }
    const settings = /^\/api\/v1\/projects\/([^/]+)\/([^/]+)\/deploy-settings$/.exec(path);
    if (settings) {
      if (bearer !== environmentKey(settings[2]!)) return unauthorized();
      return json(200, { build_path: "depot" });
    }
    const projectEnv = /^\/api\/v1\/projects\/([^/]+)\/([^/]+)$/.exec(path);
    if (projectEnv) {
      if (bearer !== options.accessToken) return unauthorized();
      const [, ref, env] = projectEnv;
      return json(200, { apiKey: environmentKey(env!), name: ref, apiUrl: url, projectId: `project_${ref}` });
    }
    unanswered.push(`${request.method} ${path}`);
    return json(404, { error: `The stand-in does not answer GET ${path}` });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(400, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: String(error) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    unanswered,
    backgroundWorkers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
