-- Do-not-call (issue 17 §3). Numbers an account (account_id set) or the whole platform
-- (account_id null, the operator's list) must not call. Checked at dial time, not only at upload.
--   source: opt_out  the callee asked during a call (call_id says which)
--           manual   added through the API
--           import   a CSV import
create table suppressions (
  id          bigserial primary key,
  account_id  uuid references accounts(id),
  phone_e164  text not null check (phone_e164 ~ '^\+[1-9][0-9]{6,14}$'),
  reason      text check (length(reason) <= 500),
  source      text not null check (source in ('opt_out', 'manual', 'import')),
  call_id     uuid,
  created_at  timestamptz not null default now()
);
-- one entry per number per list; the dial-time check is one index probe per list
create unique index suppressions_account_phone on suppressions(account_id, phone_e164) where account_id is not null;
create unique index suppressions_platform_phone on suppressions(phone_e164) where account_id is null;
create index suppressions_account_created on suppressions(account_id, created_at desc, id desc);
