-- Profiles (one per auth user) and the credit ledger.

create table public.profiles (
  user_id uuid primary key references auth.users (id) on delete cascade,
  email text,
  display_name text,
  notify_email boolean not null default true,
  notify_telegram boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

alter table public.profiles enable row level security;
revoke all on public.profiles from anon, authenticated;
grant select on public.profiles to authenticated;
grant all on public.profiles to service_role;
create policy "owners read their profile" on public.profiles
  for select to authenticated using (user_id = (select auth.uid()));

-- Every new auth user gets a profile; signup credits are granted by the app (SIGNUP_CREDITS).
create function public.create_profile_for_new_user() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  insert into public.profiles (user_id, email, display_name)
  values (new.id, new.email, coalesce(new.raw_user_meta_data ->> 'display_name', split_part(new.email, '@', 1)))
  on conflict (user_id) do nothing;
  return new;
end
$$;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function public.create_profile_for_new_user();

-- Append-only. Balance = sum(amount). `idempotency_key` makes every grant and debit happen once.
create table public.credit_ledger (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  amount integer not null check (amount <> 0),
  kind text not null check (kind in ('grant', 'debit', 'refund')),
  idempotency_key text not null unique,
  session_id uuid,
  created_at timestamptz not null default now()
);

create index credit_ledger_user_idx on public.credit_ledger (user_id);

alter table public.credit_ledger enable row level security;
revoke all on public.credit_ledger from anon, authenticated;
grant select on public.credit_ledger to authenticated;
grant all on public.credit_ledger to service_role;
create policy "owners read their ledger" on public.credit_ledger
  for select to authenticated using (user_id = (select auth.uid()));
