-- What the notification senders need (DESIGN §7): the payload rendered once (retries send the same
-- bytes), test notifications without a session, due rows including `sending` ones whose sender died,
-- the signal that a live session's client left before the end, and Telegram updates seen once.

alter table public.notifications add column payload jsonb;
alter table public.notifications alter column session_id drop not null;
alter table public.notifications drop constraint notifications_kind_check;
alter table public.notifications add constraint notifications_kind_check
  check (kind in ('completed', 'failed', 'out_of_credits', 'test'));
alter table public.notifications add constraint notifications_test_has_no_session
  check ((kind = 'test') = (session_id is null));

-- A `sending` row's next_attempt_at is its claim's expiry: past it, another sender may claim it.
drop index public.notifications_due_idx;
create index notifications_due_idx on public.notifications (next_attempt_at)
  where status in ('pending', 'sending');
create index notifications_user_idx on public.notifications (user_id, created_at desc);

-- Set by the live chat route when its client disconnects before the session ended.
alter table public.sessions add column client_left_at timestamptz;

-- Telegram may deliver an update more than once; each update_id is handled once.
create table public.telegram_updates (
  update_id bigint primary key,
  received_at timestamptz not null default now()
);

alter table public.telegram_updates enable row level security;
revoke all on public.telegram_updates from anon, authenticated;
grant all on public.telegram_updates to service_role;
