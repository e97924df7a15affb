-- Billing each run and metering while running (issue 12).

-- Credits the producing run has used so far and not yet debited: running sessions share the balance,
-- so the spendable balance is the ledger minus what every active session has metered.
alter table public.sessions add column metered_credits integer not null default 0 check (metered_credits >= 0);
-- The runs (`<epoch>:<run>`) whose usage is already in `usage`/`cost_usd`: billing a run is idempotent.
alter table public.sessions add column billed_runs text[] not null default '{}';
-- The caller's optional cap for this session, in credits (`maxCredits` of POST /api/chat).
alter table public.sessions add column max_credits integer check (max_credits > 0);

-- One debit per agent run, keyed by session, epoch (the producer) and run (its agent request).
alter table public.credit_ledger add column epoch integer;
alter table public.credit_ledger add column run integer;
create unique index credit_ledger_one_debit_per_run on public.credit_ledger (session_id, epoch, run)
  where kind = 'debit';

-- The text a continuation put at each seam so words stay separate (`{"<seam offset>": " "}`); the
-- joiner is part of the log, right after its seam offset.
alter table public.sessions add column seam_joiners jsonb not null default '{}';

-- Costs are sums of per-run costs now: keep them exact (a token costs fractions of a micro-dollar).
alter table public.sessions alter column cost_usd type numeric(18, 12);
alter table public.messages alter column cost_usd type numeric(18, 12);
