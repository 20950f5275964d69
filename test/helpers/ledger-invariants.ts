import type { Sql } from '../../lib/db';

/**
 * The ledger's books balance for every account in `accountIds`: the materialised balances equal
 * the sum of the operations' deltas, `held` equals the pending holds, each operation's deltas match
 * its transfer (debit book -> credit book), and every post or void resolved a hold of the same
 * account. Returns the violations (empty when all hold).
 */
export async function ledgerViolations(sql: Sql, accountIds: string[]): Promise<string[]> {
  const out: string[] = [];
  const rows = await sql<{ account_id: string; available: number; held: number; d_available: number; d_held: number; pending: number }[]>`
    select b.account_id, b.available, b.held,
      coalesce((select sum(available_delta) from ledger_operations o where o.account_id = b.account_id), 0)::bigint as d_available,
      coalesce((select sum(held_delta) from ledger_operations o where o.account_id = b.account_id), 0)::bigint as d_held,
      coalesce((select sum(amount) from ledger_operations o where o.account_id = b.account_id and hold_status = 'pending'), 0)::bigint as pending
    from ledger_balances b where b.account_id = any(${accountIds}::uuid[])`;
  for (const r of rows) {
    if (r.available !== r.d_available) out.push(`${r.account_id}: available ${r.available} != sum of deltas ${r.d_available}`);
    if (r.held !== r.d_held) out.push(`${r.account_id}: held ${r.held} != sum of deltas ${r.d_held}`);
    if (r.held !== r.pending) out.push(`${r.account_id}: held ${r.held} != pending holds ${r.pending}`);
  }
  // each transfer balances: what leaves the debit book arrives in the credit book
  const bad = await sql<{ key: string }[]>`
    select o.key from ledger_operations o
    left join ledger_operations h on h.key = o.hold_key
    where o.account_id = any(${accountIds}::uuid[]) and not (
      (o.op = 'credit' and o.available_delta = o.amount and o.held_delta = 0) or
      (o.op = 'hold' and o.available_delta = -o.amount and o.held_delta = o.amount) or
      (o.op = 'post' and h.account_id = o.account_id and h.resolved_by = o.key and h.hold_status = 'posted'
         and o.held_delta = -h.amount and o.available_delta = h.amount - o.amount) or
      (o.op = 'void' and h.account_id = o.account_id and h.resolved_by = o.key and h.hold_status = 'voided'
         and o.amount = 0 and o.held_delta = -h.amount and o.available_delta = h.amount))`;
  for (const o of bad) out.push(`operation ${o.key}: does not balance`);
  return out;
}
