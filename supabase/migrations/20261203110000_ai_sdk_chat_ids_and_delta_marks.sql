-- Issue 18: the AI SDK's `useChat` speaks to Overtime.
--
-- 1. A chat id chosen by the client (`useChat`'s `id`: its 16-character ids, UUIDs; at most 128 of
--    A-Za-z0-9_-) names one conversation of one user. The same id from another user is another
--    conversation, so the uniqueness is per user. RLS on `conversations` is unchanged: owners read theirs.
alter table public.conversations
  add column chat_id text check (chat_id ~ '^[A-Za-z0-9_-]{1,128}$');
create unique index conversations_user_chat_id_idx on public.conversations (user_id, chat_id)
  where chat_id is not null;

-- 2. Where the producer's text deltas ended inside each log row (absolute byte offsets, ascending,
--    each in (start_offset, end_offset]). The AI SDK reader numbers its chunks ("chunk N is the same
--    chunk on every read"), and the live response sent one `text-delta` per agent delta; a replay
--    splits the rows at exactly these offsets so that it numbers them the same way. Null: the row is
--    one delta (rows written before this migration). RLS on `session_chunks` is unchanged.
alter table public.session_chunks add column delta_ends bigint[];
