-- Core schema: tenants, keys, campaigns, contacts, calls, per-call costs, transcripts, top-ups,
-- price lists and alerts. Money is bigint micro-units of the ledger currency (1 USD = 1,000,000)
-- unless a column name says otherwise (amount_sen is MYR cents as Billplz bills them).
-- The credit ledger itself is 002_ledger.sql.

create extension if not exists pgcrypto;

create table accounts (
  id                      uuid primary key default gen_random_uuid(),
  name                    text not null check (length(name) between 1 and 200),
  currency                text not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  -- alert when available credit falls below this (micro-units)
  low_balance_threshold   bigint not null default 10000000 check (low_balance_threshold >= 0),
  -- concurrent calls across all of the account's campaigns
  max_concurrent_calls    integer not null default 20 check (max_concurrent_calls > 0),
  alert_webhook_url       text,
  status                  text not null default 'active' check (status in ('active', 'suspended')),
  created_at              timestamptz not null default now()
);

-- Keys are random; only a SHA-256 of the key is stored. `prefix` is the first characters of the
-- key, kept so an operator can tell keys apart without the secret.
create table api_keys (
  id            uuid primary key default gen_random_uuid(),
  account_id    uuid references accounts(id),
  role          text not null check (role in ('client', 'admin')),
  key_hash      text not null unique check (key_hash ~ '^[0-9a-f]{64}$'),
  prefix        text not null,
  label         text,
  created_at    timestamptz not null default now(),
  revoked_at    timestamptz,
  last_used_at  timestamptz,
  check (role = 'admin' or account_id is not null)
);
create index api_keys_account on api_keys(account_id);

-- Versioned price lists. Each call's costs name the version they were computed with and carry a
-- copy of it, so changing prices never rewrites history.
create table price_lists (
  version     text primary key,
  prices      jsonb not null,
  created_at  timestamptz not null default now()
);

create table campaigns (
  id            uuid primary key default gen_random_uuid(),
  account_id    uuid not null references accounts(id),
  name          text not null check (length(name) between 1 and 200),
  status        text not null default 'draft'
                check (status in ('draft', 'running', 'paused', 'completed', 'canceled', 'failed')),
  pause_reason  text,
  -- system prompt, first message, language, voice, LLM model, outcome schema
  agent         jsonb not null,
  -- maxConcurrentCalls, calling window, retry policy, maxDurationSec, voicemail policy
  settings      jsonb not null,
  contact_count integer not null default 0,
  created_at    timestamptz not null default now(),
  started_at    timestamptz,
  finished_at   timestamptz
);
create index campaigns_account on campaigns(account_id, created_at desc);

-- `seq` orders contacts within a campaign; the campaign workflow pages by (campaign_id, seq).
create table contacts (
  id            uuid primary key default gen_random_uuid(),
  campaign_id   uuid not null references campaigns(id) on delete cascade,
  account_id    uuid not null references accounts(id),
  seq           integer not null,
  phone_e164    text not null check (phone_e164 ~ '^\+[1-9][0-9]{6,14}$'),
  name          text,
  variables     jsonb not null default '{}',
  -- pending: not yet dialed; calling: an attempt is in flight or waiting to retry; done: final
  state         text not null default 'pending' check (state in ('pending', 'calling', 'done')),
  final_status  text,
  attempts      integer not null default 0,
  updated_at    timestamptz not null default now(),
  unique (campaign_id, phone_e164),
  unique (campaign_id, seq)
);

-- One row per call attempt. `id` is the callId minted when the attempt is scheduled.
create table calls (
  id                uuid primary key,
  account_id        uuid not null references accounts(id),
  campaign_id       uuid references campaigns(id),
  contact_id        uuid references contacts(id),
  attempt           integer not null default 1 check (attempt >= 1),
  to_e164           text not null,
  from_e164         text,
  status            text not null,
  terminal          boolean not null default false,
  provider_call_sid text unique,
  answered_by       text,
  outcome           jsonb,
  hold_amount       bigint check (hold_amount >= 0),
  error             text,
  created_at        timestamptz not null default now(),
  dialed_at         timestamptz,
  answered_at       timestamptz,
  ended_at          timestamptz,
  duration_sec      integer check (duration_sec >= 0),
  updated_at        timestamptz not null default now(),
  unique (contact_id, attempt)
);
create index calls_account on calls(account_id, created_at desc);
create index calls_campaign on calls(campaign_id, status);

-- Column names of the replaced system's call_costs are kept: azure_stt_cost ... profit_margin.
-- profit_margin is an amount (charged_amount - total_provider_cost), not a ratio.
create table call_costs (
  call_id               uuid primary key references calls(id),
  account_id            uuid not null references accounts(id),
  price_list_version    text not null,
  price_list            jsonb not null,
  stt_audio_ms          bigint not null default 0 check (stt_audio_ms >= 0),
  prompt_tokens         bigint not null default 0 check (prompt_tokens >= 0),
  completion_tokens     bigint not null default 0 check (completion_tokens >= 0),
  llm_reported_cost     bigint check (llm_reported_cost >= 0),
  tts_characters        bigint not null default 0 check (tts_characters >= 0),
  telephony_seconds     integer not null default 0 check (telephony_seconds >= 0),
  billed_seconds        integer not null default 0 check (billed_seconds >= 0),
  azure_stt_cost        bigint not null check (azure_stt_cost >= 0),
  llm_cost              bigint not null check (llm_cost >= 0),
  tts_cost              bigint not null check (tts_cost >= 0),
  twilio_cost           bigint not null check (twilio_cost >= 0),
  total_provider_cost   bigint not null check (total_provider_cost = azure_stt_cost + llm_cost + tts_cost + twilio_cost),
  charged_amount        bigint not null check (charged_amount >= 0),
  profit_margin         bigint not null check (profit_margin = charged_amount - total_provider_cost),
  created_at            timestamptz not null default now()
);
create index call_costs_account on call_costs(account_id, created_at);

-- One row per conversational turn; text only, never audio.
create table transcript_turns (
  call_id      uuid not null references calls(id),
  seq          integer not null,
  role         text not null check (role in ('agent', 'caller', 'system')),
  text         text not null,
  interrupted  boolean not null default false,
  at_ms        integer,
  -- end of speech, STT final, LLM first token, first clause, TTS first byte, first frame (ms)
  latency      jsonb,
  primary key (call_id, seq)
);

create table topups (
  id              uuid primary key default gen_random_uuid(),
  account_id      uuid not null references accounts(id),
  amount_sen      bigint not null check (amount_sen > 0),
  -- conversion fixed when the top-up was created: credit = amount_sen * micro_per_sen
  micro_per_sen   bigint not null check (micro_per_sen > 0),
  credit_amount   bigint not null check (credit_amount = amount_sen * micro_per_sen),
  status          text not null default 'creating'
                  check (status in ('creating', 'pending', 'paid', 'expired', 'failed')),
  bill_id         text unique,
  bill_url        text,
  due_at          timestamptz,
  paid_at         timestamptz,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now()
);
create index topups_account on topups(account_id, created_at desc);

create table alerts (
  id              uuid primary key default gen_random_uuid(),
  account_id      uuid references accounts(id),
  kind            text not null,
  -- one open alert per condition: a second fire while open is a no-op until it clears
  condition_key   text not null,
  state           text not null default 'firing' check (state in ('firing', 'cleared')),
  payload         jsonb not null default '{}',
  fired_at        timestamptz not null default now(),
  cleared_at      timestamptz,
  delivered_at    timestamptz,
  delivery_attempts integer not null default 0
);
create unique index alerts_open_condition on alerts(condition_key) where state = 'firing';
