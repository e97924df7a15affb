-- A run whose producer died never bills itself: its last metering step is kept with the hold
-- (the producer's epoch and the run's usage and cost so far), so whoever takes the session over, or
-- ends it, bills that run from it.
alter table public.sessions add column metered_epoch integer;
alter table public.sessions add column metered_usage jsonb;
