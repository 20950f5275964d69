-- Idempotency-Key on POSTs that create something (api/idempotency.ts). One row per (scope, key):
-- scope is the account (or, for a platform admin key, that key). `running` while the first request
-- is in flight (lease until locked_until, so a crashed request's key can be taken over); `done`
-- with the answer to replay. Rows older than 24 h are purged and their keys may be used again.
create table idempotency_keys (
  scope         text not null,
  key           text not null,
  method        text not null,
  path          text not null,
  request_hash  text not null,
  state         text not null default 'running' check (state in ('running', 'done')),
  status        integer,
  body          jsonb,
  locked_until  timestamptz not null,
  created_at    timestamptz not null default now(),
  primary key (scope, key)
);
create index idempotency_keys_created on idempotency_keys (created_at);
