import type { Sql } from '../../lib/db';

/**
 * The ledger's books balance: for every account in `accountIds`, the materialised balances equal
 * the sum of its transfers, the held balance equals its pending holds, and each operation's deltas
 * equal its transfers. Returns a list of violations (empty when all hold).
 */
export async function ledgerViolations(sql: Sql, accountIds: string[]): Promise<string[]> {
  const rows = await sql<{ account_id: string; available: number; held: number; t_available: number; t_held: number; pending: number }[]>`
    select b.account_id, b.available, b.held,
      coalesce((select sum(case when credit_book = 'available' then amount else 0 end) - sum(case when debit_book = 'available' then amount else 0 end)
                from ledger_transfers t where t.account_id = b.account_id), 0)::bigint as t_available,
      coalesce((select sum(case when credit_book = 'held' then amount else 0 end) - sum(case when debit_book = 'held' then amount else 0 end)
                from ledger_transfers t where t.account_id = b.account_id), 0)::bigint as t_held,
      coalesce((select sum(amount) from ledger_holds h where h.account_id = b.account_id and status = 'pending'), 0)::bigint as pending
    from ledger_balances b where b.account_id = any(${accountIds}::uuid[])`;
  const out: string[] = [];
  for (const r of rows) {
    if (r.available !== r.t_available) out.push(`${r.account_id}: available ${r.available} != transfers ${r.t_available}`);
    if (r.held !== r.t_held) out.push(`${r.account_id}: held ${r.held} != transfers ${r.t_held}`);
    if (r.held !== r.pending) out.push(`${r.account_id}: held ${r.held} != pending holds ${r.pending}`);
  }
  const ops = await sql<{ key: string }[]>`
    select o.key from ledger_operations o
    left join lateral (
      select coalesce(sum(case when credit_book = 'available' then amount else 0 end) - sum(case when debit_book = 'available' then amount else 0 end), 0) as a,
             coalesce(sum(case when credit_book = 'held' then amount else 0 end) - sum(case when debit_book = 'held' then amount else 0 end), 0) as h
      from ledger_transfers t where t.op_key = o.key) s on true
    where o.account_id = any(${accountIds}::uuid[]) and (s.a <> o.available_delta or s.h <> o.held_delta)`;
  for (const o of ops) out.push(`operation ${o.key}: deltas differ from its transfers`);
  return out;
}
