-- Durable Streams other than session logs (issue 21): streams any holder of the service key creates
-- and appends to through /api/ds/v1/stream/<path>. Session logs stay in session_chunks; these sit
-- beside them in the same database. Only the server (service role) reads or writes them.

create table public.ds_streams (
  -- A recreated path gets a new id, so a reader of the deleted stream never reads the new one's bytes.
  id bigint generated always as identity primary key,
  path text not null unique,
  content_type text not null,
  ttl_seconds integer check (ttl_seconds >= 0),
  -- As the creator sent it: an idempotent PUT must repeat it exactly.
  expires_at_text text,
  expires_at timestamptz,
  -- Bytes appended so far; always the end_offset of the last chunk.
  next_offset bigint not null default 0 check (next_offset >= 0),
  closed boolean not null default false,
  -- The producer tuple whose append closed the stream: its retry is a duplicate, not a conflict.
  closed_by jsonb,
  -- Stream-Seq of the last append (writer coordination; compared as strings).
  last_seq text,
  created_at timestamptz not null default now(),
  -- Reads and appends slide a Stream-TTL window; HEAD does not.
  last_access_at timestamptz not null default now()
);

create table public.ds_chunks (
  stream_id bigint not null references public.ds_streams (id) on delete cascade,
  start_offset bigint not null check (start_offset >= 0),
  end_offset bigint not null,
  data bytea not null,
  primary key (stream_id, start_offset),
  check (end_offset > start_offset)
);

-- Idempotent producers (Producer-Id / -Epoch / -Seq): the last accepted tuple per producer.
create table public.ds_producers (
  stream_id bigint not null references public.ds_streams (id) on delete cascade,
  producer_id text not null,
  epoch bigint not null check (epoch >= 0),
  last_seq bigint not null check (last_seq >= 0),
  updated_at timestamptz not null default now(),
  primary key (stream_id, producer_id)
);

alter table public.ds_streams enable row level security;
alter table public.ds_chunks enable row level security;
alter table public.ds_producers enable row level security;

-- No policy for anon or authenticated: only the service role (which bypasses RLS) touches them.
revoke all on public.ds_streams, public.ds_chunks, public.ds_producers from anon, authenticated;
grant all on public.ds_streams, public.ds_chunks, public.ds_producers to service_role;
