import type { Sql } from '../lib/db';
import type { Check } from './invariants';

/**
 * The two money invariants of issue 15's chaos run:
 *  - no pending hold older than its call's maximum (ring window + maximum talk time) + a grace,
 *    watched while the run goes on (a hold stranded and resolved later is still a violation: the
 *    credit was locked away from the customer meanwhile);
 *  - every bill paid on Billplz is credited once: a paid top-up row and exactly one ledger credit
 *    (`topup/<id>:credit`), and no credit for a bill that was not paid.
 */

export interface HoldWatch {
  stop(): Promise<Check>;
}

/**
 * Looks every `everyMs` for holds of `accountIds` still pending past their call's maximum + grace.
 * `extraGraceSec()` adds time nothing could have resolved a hold in (a Postgres outage so far).
 */
export function startHoldWatch(
  sql: Sql,
  accountIds: string[],
  o: { graceSec: number; extraGraceSec?: () => number; everyMs?: number },
): HoldWatch {
  const seen = new Set<string>();
  const late = new Map<string, string>();
  let stopping = false;
  let wake = () => {};
  const look = async () => {
    const rows = await sql<{ key: string; age: number; max_sec: number; call_id: string | null; call_status: string | null }[]>`
      select o.key, extract(epoch from clock_timestamp() - o.created_at)::float8 as age,
             coalesce((g.settings->>'ringTimeoutSec')::int, 60) + coalesce((g.settings->>'maxDurationSec')::int, 600) as max_sec,
             c.id as call_id, c.status as call_status
      from ledger_operations o
      left join calls c on c.hold_key = o.key
      left join campaigns g on g.id = c.campaign_id
      where o.op = 'hold' and o.hold_status = 'pending' and o.account_id = any(${accountIds}::uuid[])`;
    const limitExtra = o.graceSec + (o.extraGraceSec?.() ?? 0);
    for (const r of rows) {
      seen.add(r.key);
      if (r.age > r.max_sec + limitExtra && !late.has(r.key))
        late.set(
          r.key,
          `hold ${r.key} (call ${r.call_id ?? '?'}, ${r.call_status ?? 'no call row'}) pending ${Math.round(r.age)} s > maximum ${r.max_sec} s + grace ${Math.round(limitExtra)} s`,
        );
    }
  };
  const loop = (async () => {
    while (!stopping) {
      await look().catch(() => {});
      await new Promise<void>((r) => {
        const t = setTimeout(r, o.everyMs ?? 5_000);
        wake = () => (clearTimeout(t), r());
      });
    }
  })();
  return {
    async stop() {
      stopping = true;
      wake();
      await loop;
      await look();
      return {
        name: "no pending hold older than its call's maximum + grace",
        checked: seen.size,
        violations: [...late.values()],
      };
    },
  };
}

/** Every bill paid on the Billplz (simulator) credited exactly once; nothing credited that was not paid. */
export async function paidBillsCreditedOnce(
  sql: Sql,
  billplz: { baseUrl: string; apiKey: string },
  accountIds: string[],
): Promise<Check> {
  const topups = await sql<
    { id: string; bill_id: string | null; status: string; credit_amount: number; credits: number; credited: number }[]
  >`
    select t.id, t.bill_id, t.status, t.credit_amount,
      (select count(*) from ledger_operations o where o.key = 'topup/' || t.id || ':credit')::int as credits,
      coalesce((select sum(amount) from ledger_operations o where o.key = 'topup/' || t.id || ':credit'), 0)::bigint as credited
    from topups t where t.account_id = any(${accountIds}::uuid[])`;
  const violations: string[] = [];
  const auth = `Basic ${Buffer.from(`${billplz.apiKey}:`).toString('base64')}`;
  for (const t of topups) {
    let paid = false;
    if (t.bill_id) {
      const res = await fetch(`${billplz.baseUrl}/api/v3/bills/${t.bill_id}`, {
        headers: { authorization: auth },
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) {
        violations.push(`top-up ${t.id}: Billplz does not know bill ${t.bill_id} (${res.status})`);
        continue;
      }
      paid = ((await res.json()) as { paid: boolean }).paid === true;
    }
    if (paid && t.status !== 'paid') violations.push(`top-up ${t.id}: bill ${t.bill_id} paid on Billplz, top-up ${t.status}`);
    if (paid && t.credits !== 1) violations.push(`top-up ${t.id}: bill ${t.bill_id} paid, ${t.credits} ledger credits`);
    if (paid && t.credits === 1 && Number(t.credited) !== Number(t.credit_amount))
      violations.push(`top-up ${t.id}: credited ${t.credited}, top-up worth ${t.credit_amount}`);
    if (!paid && t.credits > 0) violations.push(`top-up ${t.id}: credited, but bill ${t.bill_id} is not paid`);
  }
  return { name: 'every paid bill credited once', checked: topups.length, violations };
}
