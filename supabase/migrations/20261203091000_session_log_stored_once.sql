-- Storage that stays small (issue 19): a finished session's answer is stored once, in its log
-- (session_chunks). The assistant message keeps the session's usage and cost and points at the
-- session; its text is read from the log (`public.session_output`). The retention sweep
-- (SESSION_RETENTION_DAYS) deletes old logs and records when in `sessions.log_deleted_at`.

alter table public.messages alter column content drop not null;
alter table public.messages add constraint messages_text_or_session
  check (content is not null or session_id is not null);

-- A session's whole durable output; '' for none (or a log the retention sweep deleted).
create function public.session_output(p_session_id uuid) returns text
language sql stable set search_path = '' as $$
  select coalesce(string_agg(c.text, '' order by c.start_offset), '')
  from public.session_chunks c where c.session_id = p_session_id
$$;

-- Answers written before this migration: drop the copy where the log holds the same text.
update public.messages m set content = null
where m.role = 'assistant' and m.session_id is not null
  and m.content = public.session_output(m.session_id);

alter table public.sessions add column log_deleted_at timestamptz;

create index sessions_log_retention_idx on public.sessions (finished_at)
  where finished_at is not null and log_deleted_at is null;
