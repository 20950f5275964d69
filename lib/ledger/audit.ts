import type { Sql } from '../db';

/**
 * Checks that the books balance, for operators (and the tests). Each operation is one transfer
 * between books whose legs sum to zero; these queries verify what the schema's CHECKs cannot
 * see across rows.
 */

export interface Books {
  funding: number;
  available: number;
  held: number;
  revenue: number;
}

/** Platform-wide totals per book (view ledger_books). Their sum is zero when the ledger is sound. */
export async function ledgerBooks(sql: Sql): Promise<Books> {
  const rows = await sql<{ book: keyof Books; balance: number }[]>`select book, balance from ledger_books`;
  const books: Books = { funding: 0, available: 0, held: 0, revenue: 0 };
  for (const r of rows) books[r.book] = r.balance;
  return books;
}

/**
 * Violations for the given accounts (all accounts when omitted); empty when the books balance:
 * each account's materialised balances equal the sum of its operations' deltas, `held` equals its
 * pending holds, and each operation's deltas match its transfer (a post or void of a hold of the
 * same account, resolved by that very operation).
 */
export async function ledgerViolations(sql: Sql, accountIds?: string[]): Promise<string[]> {
  const out: string[] = [];
  const all = accountIds === undefined;
  const ids = accountIds ?? [];
  const rows = await sql<
    { account_id: string; available: number; held: number; d_available: number; d_held: number; pending: number }[]
  >`
    select b.account_id, b.available, b.held,
      coalesce((select sum(available_delta) from ledger_operations o where o.account_id = b.account_id), 0)::bigint as d_available,
      coalesce((select sum(held_delta) from ledger_operations o where o.account_id = b.account_id), 0)::bigint as d_held,
      coalesce((select sum(amount) from ledger_operations o where o.account_id = b.account_id and hold_status = 'pending'), 0)::bigint as pending
    from ledger_balances b where ${all} or b.account_id = any(${ids}::uuid[])`;
  for (const r of rows) {
    if (r.available !== r.d_available) out.push(`${r.account_id}: available ${r.available} != sum of deltas ${r.d_available}`);
    if (r.held !== r.d_held) out.push(`${r.account_id}: held ${r.held} != sum of deltas ${r.d_held}`);
    if (r.held !== r.pending) out.push(`${r.account_id}: held ${r.held} != pending holds ${r.pending}`);
  }
  // operations of an account that has no balance row
  const orphans = await sql<{ key: string }[]>`
    select o.key from ledger_operations o
    where (${all} or o.account_id = any(${ids}::uuid[]))
      and not exists (select 1 from ledger_balances b where b.account_id = o.account_id)`;
  for (const o of orphans) out.push(`operation ${o.key}: account has no balance row`);
  // each transfer balances: what leaves the debit book arrives in the credit book
  const bad = await sql<{ key: string }[]>`
    select o.key from ledger_operations o
    left join ledger_operations h on h.key = o.hold_key
    where (${all} or o.account_id = any(${ids}::uuid[])) and not (
      (o.op = 'credit' and o.debit_book = 'funding' and o.credit_book = 'available'
         and o.available_delta = o.amount and o.held_delta = 0) or
      (o.op = 'hold' and o.debit_book = 'available' and o.credit_book = 'held'
         and o.available_delta = -o.amount and o.held_delta = o.amount) or
      (o.op = 'post' and o.debit_book = 'held' and o.credit_book = 'revenue'
         and h.account_id = o.account_id and h.resolved_by = o.key and h.hold_status = 'posted'
         and o.held_delta = -h.amount and o.available_delta = h.amount - o.amount) or
      (o.op = 'void' and o.debit_book = 'held' and o.credit_book = 'available'
         and h.account_id = o.account_id and h.resolved_by = o.key and h.hold_status = 'voided'
         and o.amount = 0 and o.held_delta = -h.amount and o.available_delta = h.amount))`;
  for (const o of bad) out.push(`operation ${o.key}: does not balance`);
  return out;
}
