-- Webhooks to the client (issue 17 §1). An account's endpoints, the events it emitted, and one
-- delivery per (event, endpoint) with its attempts. Delivery runs in Temporal
-- (webhookDeliveryWorkflow); these tables are its record and the API's delivery log.

create table webhook_endpoints (
  id                 uuid primary key default gen_random_uuid(),
  account_id         uuid not null references accounts(id),
  url                text not null check (length(url) between 8 and 2000),
  description        text check (length(description) <= 500),
  -- event types this endpoint receives; an empty array is refused by the API
  event_types        text[] not null,
  -- Standard Webhooks secret, `whsec_` + base64 of 32 random bytes
  secret             text not null,
  -- the secret before the last rotation, still signing until previous_expires_at
  previous_secret    text,
  previous_expires_at timestamptz,
  status             text not null default 'enabled' check (status in ('enabled', 'disabled')),
  disabled_reason    text,
  -- first failed attempt since the last success; an endpoint failing longer than the
  -- configured window is disabled
  failing_since      timestamptz,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now()
);
create index webhook_endpoints_account on webhook_endpoints(account_id, created_at);

-- One row per emitted event; `id` is the event id the receiver de-duplicates on (webhook-id).
-- `dedup_key` makes emitting idempotent: an activity retried after a crash emits the same event.
create table webhook_events (
  id          text primary key,
  account_id  uuid not null references accounts(id),
  type        text not null,
  dedup_key   text not null unique,
  payload     jsonb not null,
  created_at  timestamptz not null default now()
);
create index webhook_events_account on webhook_events(account_id, created_at desc);

create table webhook_deliveries (
  id            uuid primary key default gen_random_uuid(),
  event_id      text not null references webhook_events(id),
  endpoint_id   uuid not null references webhook_endpoints(id) on delete cascade,
  status        text not null default 'pending'
                check (status in ('pending', 'succeeded', 'failed', 'endpoint_disabled')),
  attempts      integer not null default 0,
  -- number of times delivery was (re)started; each start is one workflow run
  runs          integer not null default 1,
  last_status   integer,
  last_error    text,
  next_attempt_at timestamptz,
  delivered_at  timestamptz,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  unique (event_id, endpoint_id)
);
create index webhook_deliveries_endpoint on webhook_deliveries(endpoint_id, created_at desc);
-- deliveries whose workflow may never have started (emitter crashed between insert and start)
create index webhook_deliveries_pending on webhook_deliveries(created_at) where status = 'pending' and attempts = 0;

create table webhook_attempts (
  delivery_id   uuid not null references webhook_deliveries(id) on delete cascade,
  attempt       integer not null,
  started_at    timestamptz not null default now(),
  duration_ms   integer,
  http_status   integer,
  error         text,
  primary key (delivery_id, attempt)
);
