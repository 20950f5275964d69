-- Per-API-key token buckets shared by every API instance (api/rate-limit.ts), so a key's limit is
-- global, not per replica. Unlogged: a bucket is worth nothing after a crash (it is full again), and
-- skipping the WAL keeps the one write per authenticated request cheap.
create unlogged table api_rate_buckets (
  key_id       text primary key,
  tokens       double precision not null,
  refreshed_at timestamptz not null,
  allowed      boolean not null
);
