-- Who is watching (issue 19): a tab showing a session, or the sessions list, says so every 30 s while
-- it is visible; a watch lasts 60 s. Runners read both on their checkpoint write (RETURNING, no extra
-- query) and spend Realtime messages and frequent checkpoints only on watched sessions.

-- Until when someone is looking at this session (null: never watched).
alter table public.sessions add column watched_until timestamptz;

-- Until when someone is looking at this user's sessions list (`user:<id>`).
create table public.session_list_watches (
  user_id uuid primary key references auth.users (id) on delete cascade,
  watched_until timestamptz not null
);

alter table public.session_list_watches enable row level security;

revoke all on public.session_list_watches from anon, authenticated;
grant select on public.session_list_watches to authenticated;
grant all on public.session_list_watches to service_role;

create policy "owners read their list watch" on public.session_list_watches
  for select to authenticated using (user_id = (select auth.uid()));
