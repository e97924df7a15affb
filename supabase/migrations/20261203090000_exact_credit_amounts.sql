-- Credits are exact (issue 16 §4): a run is debited what it cost, to the micro-credit
-- (1 micro-credit = 10^-6 credit = US$10^-8; a token costs at least 5 of them), never rounded up to
-- a whole credit. Amounts keep their meaning (credits); only display rounds.
alter table public.credit_ledger alter column amount type numeric(20, 6);
-- A running run's hold on the balance, exact like the ledger it is compared with.
alter table public.sessions alter column metered_credits type numeric(20, 6);
