import { expect, test } from "vitest";
import { webHealthy, withDevRunning } from "../support/dev-process.ts";

test(
  "npm run dev starts the whole product on its ports, signs Alice in, and SIGTERM to its pid leaves no process",
  {
    timeout: 240_000,
  },
  () =>
    withDevRunning({}, async ({ ports, dev }) => {
      for (const line of [
        `http://127.0.0.1:${ports.web}`,
        `postgresql://postgres:postgres@127.0.0.1:${ports.db}/postgres`,
        `http://127.0.0.1:${ports.supabase}/auth/v1`,
        `http://127.0.0.1:${ports.sim}`,
        `http://127.0.0.1:${ports.inbox}`,
        "alice@example.com / overtime-dev",
        "bob@example.com / overtime-dev",
      ]) {
        expect(dev.output()).toContain(line);
      }
      await webHealthy(ports.web);

      // The README's curl, then the API with the token it returns.
      const token = await fetch(`http://127.0.0.1:${ports.supabase}/auth/v1/token?grant_type=password`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "alice@example.com", password: "overtime-dev" }),
      }).then((response) => response.json() as Promise<{ access_token: string }>);
      const sessions = await fetch(`http://127.0.0.1:${ports.web}/api/sessions`, {
        headers: { authorization: `Bearer ${token.access_token}` },
      });
      expect(sessions.status).toBe(200);
      expect(await sessions.json()).toEqual([]);
      const tampered = await fetch(`http://127.0.0.1:${ports.web}/api/sessions`, {
        headers: { authorization: `Bearer ${token.access_token}x` },
      });
      expect(tampered.status).toBe(401);
      expect(dev.output()).toContain("local worker started");
      // The inbox is up, with the Telegram webhook already registered for the web app.
      const inbox = await fetch(`http://127.0.0.1:${ports.inbox}/api/messages`);
      expect(await inbox.json()).toEqual([]);
    }),
);
