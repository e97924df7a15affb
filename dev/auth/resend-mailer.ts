import { Resend } from "resend";
import type { Mailer } from "./magic-link.ts";

/** Auth emails sent like the product's: through Resend (locally the inbox's Resend stand-in). */
export function createResendMailer(options: { apiKey: string; baseUrl: string; from: string }): Mailer {
  const resend = new Resend(options.apiKey, { baseUrl: options.baseUrl });
  return {
    async send(email) {
      const { to, ...content } = email;
      const { error } = await resend.emails.send({ from: options.from, to: [to], ...content });
      if (error) throw new Error(`magic link email not sent: ${error.name}: ${error.message}`);
    },
  };
}
