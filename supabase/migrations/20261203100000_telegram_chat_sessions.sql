-- Telegram as a client (issue 20): a linked chat starts, follows, stops and continues sessions.

-- Per chat: the conversation a plain message continues, the agent /agent picked, and the edit budget
-- shared by every status message of the chat (Telegram: about one edit per 5 s, 20 a minute).
create table public.telegram_chats (
  chat_id bigint primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  conversation_id uuid references public.conversations (id) on delete set null,
  agent text,
  last_edit_at timestamptz,
  minute_started_at timestamptz,
  minute_edits integer not null default 0 check (minute_edits >= 0),
  updated_at timestamptz not null default now()
);

-- A session started from a chat: where its status message and its answer go.
create table public.telegram_sessions (
  session_id uuid primary key references public.sessions (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  chat_id bigint not null,
  -- The user's message that started it (the answer replies to it).
  request_message_id bigint,
  -- Set once the status message was sent; every later change is an edit of it.
  status_message_id bigint,
  created_at timestamptz not null default now()
);
create index telegram_sessions_chat_idx on public.telegram_sessions (chat_id, created_at desc);

-- Every message the bot sent for a session: replying to one continues its conversation.
create table public.telegram_messages (
  chat_id bigint not null,
  message_id bigint not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  session_id uuid references public.sessions (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (chat_id, message_id)
);

-- The status message (sent, then edited while the session runs) and the answer are outbox rows,
-- sent by the same exactly-once machinery as the notifications.
alter table public.notifications drop constraint notifications_kind_check;
alter table public.notifications add constraint notifications_kind_check
  check (kind in ('completed', 'failed', 'out_of_credits', 'test', 'telegram_status', 'telegram_answer'));

-- Handled update ids are kept for a bounded window (pruned by age on insert).
create index telegram_updates_received_idx on public.telegram_updates (received_at);

alter table public.telegram_chats enable row level security;
alter table public.telegram_sessions enable row level security;
alter table public.telegram_messages enable row level security;

revoke all on public.telegram_chats, public.telegram_sessions, public.telegram_messages from anon, authenticated;
grant select on public.telegram_chats, public.telegram_sessions, public.telegram_messages to authenticated;
grant all on public.telegram_chats, public.telegram_sessions, public.telegram_messages to service_role;

create policy "owners read their telegram chat" on public.telegram_chats
  for select to authenticated using (user_id = (select auth.uid()));
create policy "owners read their telegram sessions" on public.telegram_sessions
  for select to authenticated using (user_id = (select auth.uid()));
create policy "owners read their telegram messages" on public.telegram_messages
  for select to authenticated using (user_id = (select auth.uid()));
