// `npm run telegram:webhook`: registers <APP_URL>/api/telegram/webhook and TELEGRAM_WEBHOOK_SECRET
// with the bot (TELEGRAM_BOT_TOKEN at TELEGRAM_API_ROOT) through setWebhook.
import { parseEnv } from "../lib/env.ts";
import { registerTelegramWebhook } from "../lib/notify/telegram-linking.ts";

const env = parseEnv();
try {
  const url = await registerTelegramWebhook(env);
  console.log(`Telegram webhook set for @${env.TELEGRAM_BOT_USERNAME}: ${url}`);
} catch (error) {
  console.error(
    `Could not set the Telegram webhook: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}
