-- Reports read terminal calls by creation time across accounts (admin summary); the metrics
-- gauge of active calls counts calls not yet terminal. Both stay index scans as calls grow.
create index calls_terminal_created on calls(created_at) where terminal;
create index calls_not_terminal on calls(account_id) where not terminal;
