-- Conversations, their messages, agent sessions and the session log (offset-addressed chunks).

create table public.conversations (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  title text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index conversations_user_idx on public.conversations (user_id, updated_at desc);

create table public.sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  agent text not null,
  title text not null default '',
  mode text not null default 'auto' check (mode in ('auto', 'live', 'background')),
  status text not null default 'queued'
    check (status in ('queued', 'live', 'background', 'interrupted', 'completed', 'failed', 'cancelled')),
  runner text check (runner in ('live', 'trigger', 'worker')),
  run_id text,
  -- Fencing token: every takeover increments it; every log write is conditional on it.
  epoch integer not null default 1 check (epoch >= 1),
  lease_owner text,
  lease_expires_at timestamptz,
  -- Bytes of output durably in session_chunks; always the end_offset of the last chunk.
  durable_offset bigint not null default 0 check (durable_offset >= 0),
  agent_cursor jsonb,
  -- Offsets where a continuation request joined output of an interrupted agent run.
  seam_offsets bigint[] not null default '{}',
  progress jsonb,
  usage jsonb,
  cost_usd numeric(12, 6),
  error jsonb,
  cancel_requested boolean not null default false,
  started_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index sessions_user_idx on public.sessions (user_id, created_at desc);
create index sessions_lease_idx on public.sessions (lease_expires_at)
  where status in ('queued', 'live', 'background', 'interrupted');
create index sessions_agent_finished_idx on public.sessions (agent, finished_at desc)
  where finished_at is not null;

create table public.messages (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null check (role in ('user', 'assistant')),
  content text not null,
  -- The final assistant message of a session is written once.
  session_id uuid unique references public.sessions (id) on delete cascade,
  input_tokens integer,
  output_tokens integer,
  cost_usd numeric(12, 6),
  created_at timestamptz not null default now()
);

create index messages_conversation_idx on public.messages (conversation_id, created_at);

-- The user message a session answers (messages reference sessions too, hence added here).
alter table public.sessions add column user_message_id uuid references public.messages (id) on delete set null;

create table public.session_chunks (
  session_id uuid not null references public.sessions (id) on delete cascade,
  start_offset bigint not null check (start_offset >= 0),
  end_offset bigint not null,
  text text not null,
  epoch integer not null,
  created_at timestamptz not null default now(),
  primary key (session_id, start_offset),
  check (end_offset > start_offset)
);

alter table public.conversations enable row level security;
alter table public.sessions enable row level security;
alter table public.messages enable row level security;
alter table public.session_chunks enable row level security;

revoke all on public.conversations, public.sessions, public.messages, public.session_chunks from anon, authenticated;
grant select on public.conversations, public.sessions, public.messages, public.session_chunks to authenticated;
grant all on public.conversations, public.sessions, public.messages, public.session_chunks to service_role;

create policy "owners read their conversations" on public.conversations
  for select to authenticated using (user_id = (select auth.uid()));
create policy "owners read their sessions" on public.sessions
  for select to authenticated using (user_id = (select auth.uid()));
create policy "owners read their messages" on public.messages
  for select to authenticated using (user_id = (select auth.uid()));
create policy "owners read their session log" on public.session_chunks
  for select to authenticated using (
    exists (select 1 from public.sessions s where s.id = session_id and s.user_id = (select auth.uid()))
  );

-- Realtime: only a session's owner may join (and receive on) the private topic `session:<id>`.
create policy "owners join their session topic" on realtime.messages
  for select to authenticated using (
    realtime.topic() like 'session:%'
    and exists (
      select 1 from public.sessions s
      where s.id::text = substr(realtime.topic(), 9) and s.user_id = (select auth.uid())
    )
  );
