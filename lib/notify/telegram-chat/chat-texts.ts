/** The bot's commands, as registered with `setMyCommands` and listed by /help. */
export const BOT_COMMANDS = [
  { command: "new", description: "Start a new conversation" },
  { command: "agent", description: "Pick the agent for new sessions" },
  { command: "stop", description: "Stop the running session" },
  { command: "help", description: "What I can do" },
  { command: "unlink", description: "Unlink this chat from Overtime" },
] as const;

const settingsUrl = (appUrl: string) => `${appUrl.replace(/\/$/, "")}/settings`;

/** Everything the bot says besides status messages and answers. */
export const CHAT_TEXTS = {
  notLinked: (appUrl: string) =>
    `This chat is not linked to an Overtime account. To link it, open Settings in Overtime (${settingsUrl(appUrl)}), press “Link Telegram” and open the link it shows.`,
  linked:
    "Linked. Send me a message to start a session on your agent; the answer arrives here. /help lists the commands.",
  invalidLink:
    "This link was already used or has expired, so nothing was linked. Open Settings in Overtime and press “Link Telegram” for a new one.",
  unlinked:
    "Unlinked. I will not start sessions or send notifications here any more. Link again from Settings in Overtime.",
  help: [
    "Send me a message to start a session on your agent; I show its progress and send the answer here.",
    "Reply to one of my answers to continue that conversation; a plain message continues the current one.",
    "",
    ...BOT_COMMANDS.map(({ command, description }) => `/${command} — ${description}`),
  ].join("\n"),
  newConversation: "New conversation: your next message starts it.",
  nothingRunning: "Nothing is running in this chat.",
  stopping: "Stopping…",
  pickAgent: "Which agent should new sessions use?",
  agentPicked: (name: string) => `New sessions use ${name}.`,
  unknownAgent: "That agent is not available any more.",
  textOnly: "I only read text messages: send your request as text.",
};
