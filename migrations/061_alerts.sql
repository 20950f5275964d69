-- Alerts (issue 8). `alerts` comes from 001_core.sql; delivery is tracked here:
--   pending        fired, not yet delivered (or being retried)
--   delivered      a webhook answered 2xx (delivered_at set)
--   failing        the last attempt failed; later sweeps retry until the attempt cap
--   undeliverable  neither the account nor the platform has a webhook URL
alter table alerts add column delivery_state text not null default 'pending'
  check (delivery_state in ('pending', 'delivered', 'failing', 'undeliverable'));
alter table alerts add column last_delivery_error text;
alter table alerts add column last_attempt_at timestamptz;
create index alerts_undelivered on alerts(fired_at) where state = 'firing' and delivery_state in ('pending', 'failing');
create index alerts_account on alerts(account_id, fired_at desc);

-- Provider failures that matter across processes (5xx, timeouts, connection errors), so the
-- alert sweep can judge a burst whichever process saw them. Per-process counts are in Prometheus.
create table provider_errors (
  id           bigserial primary key,
  vendor       text not null,
  code         text,
  http_status  integer,
  call_id      uuid,
  occurred_at  timestamptz not null default now()
);
create index provider_errors_recent on provider_errors(occurred_at, vendor);
