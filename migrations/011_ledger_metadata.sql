-- Free-form annotation on ledger operations (e.g. the Billplz bill behind a top-up credit, the
-- operator behind a manual adjustment). Nullable without a default, so adding it rewrites nothing.
alter table ledger_operations add column metadata jsonb
  check (metadata is null or jsonb_typeof(metadata) = 'object');

-- Operators' check that the books balance: one row per book, summing to zero across the platform.
-- funding is what top-ups and adjustments brought in (negative), revenue what calls were charged;
-- available and held are the clients' books (materialised balances).
create view ledger_books as
  select 'funding'::text as book, -coalesce(sum(amount) filter (where op = 'credit'), 0)::bigint as balance from ledger_operations
  union all
  select 'available', coalesce(sum(available), 0)::bigint from ledger_balances
  union all
  select 'held', coalesce(sum(held), 0)::bigint from ledger_balances
  union all
  select 'revenue', coalesce(sum(amount) filter (where op = 'post'), 0)::bigint from ledger_operations;
