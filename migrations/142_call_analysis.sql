-- Post-call analysis (issue 17 §2). A campaign's analysis settings (summary and fields to extract),
-- and one analysis per call, stored apart from the call row so settlement never waits on it.
alter table campaigns add column analysis jsonb;

create table call_analysis (
  call_id            uuid primary key references calls(id),
  account_id         uuid not null references accounts(id),
  -- ok: valid JSON matching the fields; invalid: the model's text kept raw with the validation error;
  -- failed: the model could not be asked (error), to be retried
  status             text not null check (status in ('ok', 'invalid', 'failed')),
  summary            text,
  fields             jsonb,
  raw                text,
  error              text,
  model              text,
  requests           integer not null default 0,
  prompt_tokens      bigint not null default 0,
  completion_tokens  bigint not null default 0,
  reported_cost      bigint,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now()
);
create index call_analysis_account on call_analysis(account_id, created_at desc);
