-- Dev accounts (password `overtime-dev`), each with 1,000 credits. Idempotent.
insert into auth.users (id, email, encrypted_password, email_confirmed_at, raw_user_meta_data)
values
  ('a11ce000-0000-4000-8000-000000000001', 'alice@example.com', crypt('overtime-dev', gen_salt('bf', 10)), now(),
   '{"display_name":"Alice"}'),
  ('b0b00000-0000-4000-8000-000000000002', 'bob@example.com', crypt('overtime-dev', gen_salt('bf', 10)), now(),
   '{"display_name":"Bob"}')
on conflict (id) do nothing;

insert into public.credit_ledger (user_id, amount, kind, idempotency_key)
values
  ('a11ce000-0000-4000-8000-000000000001', 1000, 'grant', 'seed:alice'),
  ('b0b00000-0000-4000-8000-000000000002', 1000, 'grant', 'seed:bob')
on conflict (idempotency_key) do nothing;
