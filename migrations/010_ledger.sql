-- Credit ledger: double entry with two-phase holds, shaped like TigerBeetle's transfers.
--
-- Books: each client account has `available` and `held`; the platform has `funding` (where
-- top-ups come from) and `revenue` (where charges go). Each operation is ONE transfer row:
--   credit  funding   -> available  (amount)
--   hold    available -> held       (amount; pending until posted or voided)
--   post    held      -> revenue    (amount charged; the rest of the hold returns to available)
--   void    held      -> available  (the whole hold)
-- available_delta / held_delta record the effect on the account's books; with the platform books
-- (funding = -sum(credits), revenue = sum(posts)) every transfer sums to zero by construction, and
-- an account's balances equal the sum of its deltas (checked in tests).
--
-- ledger_balances is the materialised state (CHECKs forbid negatives). The primary key on `key`
-- is the idempotency guard: a replayed operation collides on it and is answered from its row; the
-- canonical request kept there refuses a key reused with other arguments. A hold's row carries its
-- state until its single resolution.

create table ledger_balances (
  account_id  uuid primary key references accounts(id),
  available   bigint not null default 0 check (available >= 0),
  held        bigint not null default 0 check (held >= 0),
  updated_at  timestamptz not null default now()
) with (fillfactor = 80);

create table ledger_operations (
  key              text primary key check (length(key) between 1 and 200),
  seq              bigserial not null,
  op               text not null check (op in ('credit', 'hold', 'post', 'void')),
  -- No foreign keys here, deliberately: an operation row is only ever inserted by the statement
  -- that updated this account's ledger_balances row (itself FK-checked) or the hold's row, and an
  -- FK check per insert would take a KEY SHARE lock that dirties the account row on every call.
  account_id       uuid not null,
  debit_book       text not null check (debit_book in ('funding', 'available', 'held')),
  credit_book      text not null check (credit_book in ('available', 'held', 'revenue')),
  -- credit/hold: the amount moved; post: the amount charged; void: 0 (the release is held_delta)
  amount           bigint not null check (amount >= 0),
  -- for post/void: the hold resolved
  hold_key         text,
  available_delta  bigint not null,
  held_delta       bigint not null,
  -- balances right after this operation, so a replay returns exactly the first result
  available_after  bigint not null,
  held_after       bigint not null,
  -- holds only: pending until exactly one post or void resolves them
  hold_status      text check (hold_status in ('pending', 'posted', 'voided')),
  resolved_by      text,
  request          text not null,
  reason           text,
  created_at       timestamptz not null default now(),
  check ((op = 'hold') = (hold_status is not null)),
  check ((hold_status is null or hold_status = 'pending') = (resolved_by is null)),
  check ((op in ('post', 'void')) = (hold_key is not null)),
  check (debit_book <> credit_book)
) with (fillfactor = 90);
create index ledger_operations_account on ledger_operations(account_id, seq);
