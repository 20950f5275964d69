-- Workflows v1 (issue 15), the call side.
--
-- Agents by reference: a call workflow's input names its agent (call_agents.id) instead of carrying
-- the whole config (a prompt of up to 20 KB in every child's start event). Rows are immutable and
-- content-addressed (id = hash of account + canonical agent JSON), so saving the same agent twice
-- is a no-op and a changed agent is a new row: the id is the version.
create table call_agents (
  id          text primary key check (id ~ '^ag_[0-9a-f]{32}$'),
  account_id  uuid not null references accounts(id),
  agent       jsonb not null,
  created_at  timestamptz not null default now()
);
create index call_agents_account on call_agents(account_id);

alter table calls add column agent_id text references call_agents(id);
-- Why an answered call ended when it was not a plain hang-up (max_duration, machine, media_error,
-- abandoned, …): an operator tells a media failure from a finished conversation by it.
alter table calls add column end_reason text;
-- The price list the call's hold was quoted with; settlement and the hold sweeper price with it.
alter table calls add column price_list_version text references price_lists(version);

-- The hold sweeper looks for pending call holds older than a cut-off.
create index ledger_pending_call_holds on ledger_operations(created_at)
  where op = 'hold' and hold_status = 'pending' and key like 'call/%';
