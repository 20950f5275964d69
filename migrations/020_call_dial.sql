-- Dial idempotency for callWorkflow (activities/dialer.ts). A dial is claimed by setting
-- dial_state = 'started' (committed) before the REST create; the provider call SID is recorded
-- right after. A retry that finds 'started' without a SID looks the call up at the provider
-- instead of dialing again; 'unknown' means it was not found and the workflow waits for the
-- call's own status callbacks rather than risk a second dial.
alter table calls add column dial_state text check (dial_state in ('started', 'dialed', 'unknown'));
alter table calls add column dial_started_at timestamptz;
alter table calls add column hold_key text;
alter table calls add column settled_at timestamptz;
create index calls_open_dials on calls(to_e164, dial_started_at) where dial_state is not null;
