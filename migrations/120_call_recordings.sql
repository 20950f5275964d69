-- Call recordings (issue 16 §4). One row per recorded call, written by the media gateway: `recording`
-- while the call runs, then `stored` (the object is in the store under object_key) or `failed` (the
-- recording ended early — full disk, failed write or upload — and the call went on; `error` says why).
-- The retention sweep marks rows `deleted` once their object is removed; the row stays, so the call
-- detail can say a recording existed and was deleted by policy.
create table call_recordings (
  call_id      uuid primary key references calls(id),
  account_id   uuid not null references accounts(id),
  status       text not null check (status in ('recording', 'stored', 'failed', 'deleted')),
  store        text not null check (store in ('local', 's3')),
  object_key   text not null,
  bytes        bigint check (bytes >= 0),
  duration_ms  integer check (duration_ms >= 0),
  error        text,
  started_at   timestamptz not null default now(),
  stored_at    timestamptz,
  deleted_at   timestamptz
);
create index call_recordings_expiry on call_recordings(account_id, stored_at) where status = 'stored';

-- Per-account retention: recordings older than this many days are deleted; null keeps them.
alter table accounts add column recording_retention_days integer check (recording_retention_days between 1 and 3650);
