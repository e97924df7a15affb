-- What each agent session (OpenClaw's `x-openclaw-session-key`, one per conversation and agent) has
-- seen of its conversation (issue 16 §5): a request's `input` carries every earlier message the key
-- has not seen — the whole conversation the first time, then only what other agents, the user and
-- cut runs added since. One row per (key, message); written when the request is built.
create table public.agent_session_messages (
  session_key text not null,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  message_id uuid not null references public.messages (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (session_key, message_id)
);

create index agent_session_messages_conversation_idx on public.agent_session_messages (conversation_id);

-- Server-side bookkeeping only: owners may read theirs (through the conversation), nobody else.
alter table public.agent_session_messages enable row level security;
revoke all on public.agent_session_messages from anon, authenticated;
grant select on public.agent_session_messages to authenticated;
grant all on public.agent_session_messages to service_role;
create policy "owners read what their agents' sessions saw" on public.agent_session_messages
  for select to authenticated using (
    exists (select 1 from public.conversations c where c.id = conversation_id and c.user_id = (select auth.uid()))
  );
