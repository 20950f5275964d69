-- Credit ledger: double entry with two-phase holds (TigerBeetle-style pending transfers).
--
-- Books: each client account has `available` and `held`; the platform has `funding` (where
-- top-ups come from) and `revenue` (where charges go). Every operation moves money between books
-- as transfers (debit book -> credit book, positive amount), so each transfer balances by
-- construction, and an account's balances equal the sum of its transfers (checked in tests).
--
-- ledger_balances is the materialised state (one row per account, CHECKs forbid negatives);
-- ledger_operations is the idempotency journal (one row per key, the canonical request kept so a
-- reused key with other arguments is refused); ledger_holds tracks each pending transfer to its
-- single resolution (posted or voided).

create table ledger_balances (
  account_id  uuid primary key references accounts(id),
  available   bigint not null default 0 check (available >= 0),
  held        bigint not null default 0 check (held >= 0),
  updated_at  timestamptz not null default now()
);

create table ledger_operations (
  key              text primary key check (length(key) between 1 and 200),
  seq              bigserial unique,
  op               text not null check (op in ('credit', 'hold', 'post', 'void')),
  account_id       uuid not null references accounts(id),
  hold_key         text,
  amount           bigint not null check (amount >= 0),
  available_delta  bigint not null,
  held_delta       bigint not null,
  -- balances right after this operation, so a replay returns exactly the first result
  available_after  bigint not null,
  held_after       bigint not null,
  -- canonical JSON of the arguments, compared on replay
  request          text not null,
  reason           text,
  created_at       timestamptz not null default now()
);
create index ledger_operations_account on ledger_operations(account_id, seq);

create table ledger_holds (
  hold_key        text primary key references ledger_operations(key),
  account_id      uuid not null references accounts(id),
  amount          bigint not null check (amount > 0),
  status          text not null default 'pending' check (status in ('pending', 'posted', 'voided')),
  posted_amount   bigint check (posted_amount >= 0 and posted_amount <= amount),
  resolved_by     text unique references ledger_operations(key),
  created_at      timestamptz not null default now(),
  resolved_at     timestamptz,
  check ((status = 'pending') = (resolved_by is null))
);
create index ledger_holds_pending on ledger_holds(account_id) where status = 'pending';

create table ledger_transfers (
  id           bigserial primary key,
  op_key       text not null references ledger_operations(key),
  account_id   uuid not null references accounts(id),
  debit_book   text not null check (debit_book in ('funding', 'available', 'held')),
  credit_book  text not null check (credit_book in ('available', 'held', 'revenue')),
  amount       bigint not null check (amount > 0),
  created_at   timestamptz not null default now(),
  check (debit_book <> credit_book)
);
create index ledger_transfers_account on ledger_transfers(account_id);
