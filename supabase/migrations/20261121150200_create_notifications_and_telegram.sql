-- Notification outbox and Telegram account links.

create table public.notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  session_id uuid not null references public.sessions (id) on delete cascade,
  channel text not null check (channel in ('email', 'telegram')),
  kind text not null check (kind in ('completed', 'failed', 'out_of_credits')),
  status text not null default 'pending' check (status in ('pending', 'sending', 'sent', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  provider_id text,
  last_error text,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  unique (session_id, channel, kind)
);

create index notifications_due_idx on public.notifications (next_attempt_at) where status = 'pending';

create table public.telegram_links (
  user_id uuid primary key references auth.users (id) on delete cascade,
  chat_id bigint not null unique,
  username text,
  linked_at timestamptz not null default now()
);

-- One-time deep-link tokens; only a hash is stored.
create table public.telegram_link_tokens (
  token_hash text primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);

alter table public.notifications enable row level security;
alter table public.telegram_links enable row level security;
alter table public.telegram_link_tokens enable row level security;

revoke all on public.notifications, public.telegram_links, public.telegram_link_tokens from anon, authenticated;
grant select on public.notifications, public.telegram_links, public.telegram_link_tokens to authenticated;
grant all on public.notifications, public.telegram_links, public.telegram_link_tokens to service_role;

create policy "owners read their notifications" on public.notifications
  for select to authenticated using (user_id = (select auth.uid()));
create policy "owners read their telegram link" on public.telegram_links
  for select to authenticated using (user_id = (select auth.uid()));
create policy "owners read their telegram link tokens" on public.telegram_link_tokens
  for select to authenticated using (user_id = (select auth.uid()));
