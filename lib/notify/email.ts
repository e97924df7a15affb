import { render } from "@react-email/render";
import { createElement } from "react";
import { Resend } from "resend";
import type { Env } from "../env.ts";
import type { DeliveryResult } from "./delivery.ts";
import { NotificationEmail } from "./email-template.tsx";
import type { NotificationSummary } from "./summary.ts";

/** An email exactly as it is sent: rendered once, stored, and sent byte-identical on every retry. */
export interface RenderedEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
}

/** Renders the React Email template to HTML and plain text (deterministic for the same summary). */
export async function renderEmail(summary: NotificationSummary, to: string): Promise<RenderedEmail> {
  const element = createElement(NotificationEmail, { summary });
  const [html, text] = await Promise.all([render(element), render(element, { plainText: true })]);
  return { to, subject: summary.subject, html, text };
}

/**
 * Sends through Resend with `Idempotency-Key: session-<kind>/<notification id>`: a retry after
 * Resend accepted (but before we recorded it) gets the first answer back, not a second email.
 */
export async function sendEmail(
  env: Env,
  notification: { id: string; kind: string },
  email: RenderedEmail,
): Promise<DeliveryResult> {
  const resend = new Resend(env.RESEND_API_KEY, { baseUrl: env.RESEND_BASE_URL });
  const { data, error, headers } = await resend.emails.send(
    {
      from: env.EMAIL_FROM,
      to: [email.to],
      subject: email.subject,
      html: email.html,
      text: email.text,
      tags: [{ name: "kind", value: notification.kind }],
      headers: { "X-Entity-Ref-ID": notification.id },
    },
    { idempotencyKey: `session-${notification.kind}/${notification.id}` },
  );
  if (data) return { kind: "sent", providerId: data.id };
  const status = error?.statusCode ?? null;
  const reason = `resend ${status ?? "network"} ${error?.name ?? "error"}: ${error?.message ?? ""}`.trim();
  // No status: the request never got an answer (network); 429, 5xx and a concurrent request with the
  // same key are worth another try; anything else will fail the same way again.
  if (
    status === null ||
    status === 429 ||
    status >= 500 ||
    error?.name === "concurrent_idempotent_requests"
  ) {
    const retryAfter = Number(headers?.["retry-after"]);
    return { kind: "retry", reason, retryAfterSeconds: Number.isFinite(retryAfter) ? retryAfter : undefined };
  }
  return { kind: "failed", reason };
}
