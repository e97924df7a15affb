/** One message the stand-ins delivered: an email Resend accepted or a Telegram message a bot sent. */
export interface InboxMessage {
  channel: "email" | "telegram";
  /** The recipient address (emails) or the chat id (Telegram). */
  to: string;
  subject: string | null;
  text: string;
  html: string | null;
  /** Telegram's `reply_markup` as the bot sent it; null for email. */
  replyMarkup: unknown;
  createdAt: string;
  /** For the inbox page only: sender, headers, idempotency key, tags, parse mode. */
  details: Record<string, unknown>;
  /** A Telegram message's identity and state; it changes as the bot edits the message. */
  telegram?: TelegramMessageState;
}

/** What a bot's Telegram message is now: its ids, how often it was edited, its reply and document. */
export interface TelegramMessageState {
  messageId: number;
  chatId: number;
  edits: number;
  /** The message it replies to (`reply_parameters`), or null. */
  replyTo: number | null;
  document: { fileName: string; bytes: number; content: Buffer } | null;
}

/** A fault the next matching requests answer with instead of being served. */
export interface InjectedFault {
  service: "resend" | "telegram";
  /** HTTP status to answer (429, 500, 503, …); absent with `acceptThenHang`. */
  status?: number;
  /** Seconds, sent as `Retry-After` (Resend) or `parameters.retry_after` (Telegram). */
  retryAfter?: number;
  /** Store the message as accepted, then never answer: a sender that dies mid-request. */
  acceptThenHang?: boolean;
  /** Telegram only: the Bot API method it applies to; any sending method when absent. */
  method?: string;
  /** Telegram only: the chat it applies to; any chat when absent. */
  chatId?: number;
  /** How many requests it applies to (default 1). */
  times: number;
}

/** Everything the inbox server holds in memory: messages newest last, pending faults. */
export class InboxStore {
  readonly messages: InboxMessage[] = [];
  readonly #faults: InjectedFault[] = [];

  add(message: Omit<InboxMessage, "createdAt">): InboxMessage {
    const stored = { ...message, createdAt: new Date().toISOString() };
    this.messages.push(stored);
    return stored;
  }

  /** Newest first. */
  newestFirst(): InboxMessage[] {
    return [...this.messages].reverse();
  }

  inject(fault: InjectedFault): void {
    this.#faults.push(fault);
  }

  /** A bot's Telegram message by chat and message id. */
  telegramMessage(chatId: number, messageId: number): InboxMessage | undefined {
    return this.messages.find(
      (message) => message.telegram?.chatId === chatId && message.telegram.messageId === messageId,
    );
  }

  /**
   * The fault the next request to `service` must answer with, consuming one use of it. A fault
   * with a `method` or `chatId` applies to that Bot API method (e.g. `editMessageText`) or chat only.
   */
  takeFault(
    service: InjectedFault["service"],
    request: { method?: string; chatId?: number } = {},
  ): InjectedFault | undefined {
    const index = this.#faults.findIndex(
      (fault) =>
        fault.service === service &&
        (fault.method === undefined || fault.method.toLowerCase() === request.method?.toLowerCase()) &&
        (fault.chatId === undefined || fault.chatId === request.chatId),
    );
    if (index === -1) return undefined;
    const fault = this.#faults[index] as InjectedFault;
    fault.times -= 1;
    if (fault.times <= 0) this.#faults.splice(index, 1);
    return fault;
  }
}
