import Link from "next/link";
import type { NotificationRow } from "@/lib/session/wire.ts";

/** The last notifications sent (or tried): when, where, what, how it went, and the session. */
export function NotificationHistory({ notifications }: { notifications: NotificationRow[] }) {
  if (notifications.length === 0) return <p className="muted">None yet.</p>;
  return (
    <table className="notification-history" data-testid="notifications">
      <thead>
        <tr>
          <th>When</th>
          <th>Channel</th>
          <th>What</th>
          <th>Status</th>
          <th>Session</th>
        </tr>
      </thead>
      <tbody>
        {notifications.map((row) => (
          <tr key={row.id}>
            <td>{new Date(row.createdAt).toLocaleString()}</td>
            <td>{row.channel}</td>
            <td>{row.kind.replaceAll("_", " ")}</td>
            <td title={row.lastError ?? undefined}>
              {row.status}
              {row.attempts > 1 ? ` (${row.attempts} attempts)` : ""}
              {row.status !== "sent" && row.lastError ? ` — ${row.lastError}` : ""}
            </td>
            <td>{row.sessionId ? <Link href={`/sessions/${row.sessionId}`}>Open</Link> : "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
