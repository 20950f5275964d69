-- Billplz needs an email or a mobile number for each bill: the account's billing contact is the
-- default when a top-up request names none.
alter table accounts add column billing_email text;
alter table topups add column payer_email text;
-- Idempotency-Key of the POST that created the top-up (unique per account).
alter table topups add column request_key text;
create unique index topups_request_key on topups(account_id, request_key) where request_key is not null;
