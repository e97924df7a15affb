-- A checkpoint write sends its NOTIFY only while a process listens for that session (issue 19 point 6):
-- NOTIFY takes a database-wide lock from pre-commit to the end of commit, so one per checkpoint
-- serialised every writer's commits (the scale bench measured about 3x fewer commits/s with it).
-- A process with a reader tailing the session sets `listened_until` before the reader's first read and
-- renews it while the reader waits (lib/db/session-notifications.ts). Status changes always notify.
alter table public.sessions add column listened_until timestamptz;

comment on column public.sessions.listened_until is
  'Until when some process has a reader tailing this session''s log (checkpoint writes NOTIFY only before it).';
