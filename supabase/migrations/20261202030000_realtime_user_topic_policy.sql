-- Realtime: only the user herself may join (and receive on) the private topic `user:<id>`, which
-- carries her sessions list updates (`session` messages). Realtime runs this policy in its join probe
-- with `realtime.topic` and the caller's JWT claims set.
create policy "users join their own user topic" on realtime.messages
  for select to authenticated using (
    realtime.topic() = 'user:' || (select auth.uid())::text
  );
