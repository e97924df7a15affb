-- Issue 18: what the AI SDK reader's chunks need besides the text, recorded in the log.
--
-- A producer's tool calls (stages), its runner kind and its progress are chunks of the UI message
-- stream (`tool-input-start` … `tool-output-available`, `data-runner`, `data-progress`), and chunk N
-- must be the same chunk on every read. So each is recorded where it happened: at byte `at` of the
-- log (after every delta ending at or before it), written in the same statement as the checkpoint
-- that carries it (`appendCheckpoint`), so no reader sees text without the marks before it.
-- `seq` counts the producer's marks (per epoch): a retried write inserts nothing twice. Readers order
-- marks by (at, epoch, seq). RLS: owners read theirs, like `session_chunks`; only the server writes.
create table public.session_marks (
  session_id uuid not null references public.sessions (id) on delete cascade,
  epoch integer not null,
  seq integer not null check (seq >= 0),
  at bigint not null check (at >= 0),
  kind text not null check (kind in ('tool', 'runner', 'progress')),
  data jsonb not null default '{}'::jsonb,
  primary key (session_id, epoch, seq)
);
create index session_marks_session_at_idx on public.session_marks (session_id, at, epoch, seq);

alter table public.session_marks enable row level security;
revoke all on public.session_marks from anon, authenticated;
grant select on public.session_marks to authenticated;
grant all on public.session_marks to service_role;
create policy "owners read their session marks" on public.session_marks
  for select to authenticated using (
    exists (select 1 from public.sessions s where s.id = session_id and s.user_id = (select auth.uid()))
  );
