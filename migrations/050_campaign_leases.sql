-- Per-account concurrent-call limit across all of an account's campaigns: a call holds a lease
-- from before it is started until its campaign learns it finished. Leases expire (a campaign that
-- was terminated cannot strand its account's capacity); acquisition serialises on the account row.
create table call_leases (
  call_id      uuid primary key,
  account_id   uuid not null references accounts(id),
  campaign_id  uuid references campaigns(id),
  acquired_at  timestamptz not null default now(),
  expires_at   timestamptz not null
);
create index call_leases_account on call_leases(account_id, expires_at);
