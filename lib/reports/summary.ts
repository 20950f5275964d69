import type { Sql } from '../db';

/**
 * Call and revenue reports, computed in SQL from `calls`, `call_costs` and `topups`.
 *
 * Definitions (the numbers an operator reads, so written down once):
 * - A call belongs to the window by `calls.created_at` (when the attempt was scheduled), in
 *   [from, to); only terminal calls count, so a report never changes under a call in flight.
 * - answered: `answered_at` set. success: status `completed` (answered and ended normally).
 *   Rates are ratios of counts over all calls, rounded to 4 decimals; null when there are no calls.
 * - averageDurationSec: mean `duration_sec` of answered calls, 2 decimals; null when none answered.
 * - Money is integer micro-units. cost = total_provider_cost, revenue = charged_amount,
 *   profit = profit_margin, summed from call_costs. "Per call" divides by ALL calls in the window
 *   (an unanswered attempt costs and earns 0 but is still an attempt), rounded once, half away
 *   from zero (Postgres numeric round).
 * - minutes: billed seconds / 60, 2 decimals; billedSeconds is the exact integer.
 * - Admin only: top-up conversion = bills paid / bills created (top-ups with a Billplz bill,
 *   created in the window); monthly revenue = charged amounts per calendar month (UTC) of the
 *   calls in the window.
 */
export interface CallSummary {
  calls: number;
  answered: number;
  completed: number;
  answerRate: number | null;
  successRate: number | null;
  averageDurationSec: number | null;
  billedSeconds: number;
  minutes: number;
  costMicro: number;
  revenueMicro: number;
  profitMicro: number;
  costPerCallMicro: number | null;
  revenuePerCallMicro: number | null;
  profitPerCallMicro: number | null;
}

interface Row {
  account_id: string;
  calls: number;
  answered: number;
  completed: number;
  answer_rate: number | null;
  success_rate: number | null;
  avg_duration: number | null;
  billed_seconds: number;
  minutes: number;
  cost: number;
  revenue: number;
  profit: number;
  cost_per_call: number | null;
  revenue_per_call: number | null;
  profit_per_call: number | null;
}

const toSummary = (r: Row | undefined): CallSummary => ({
  calls: r?.calls ?? 0,
  answered: r?.answered ?? 0,
  completed: r?.completed ?? 0,
  answerRate: r?.answer_rate ?? null,
  successRate: r?.success_rate ?? null,
  averageDurationSec: r?.avg_duration ?? null,
  billedSeconds: r?.billed_seconds ?? 0,
  minutes: r?.minutes ?? 0,
  costMicro: r?.cost ?? 0,
  revenueMicro: r?.revenue ?? 0,
  profitMicro: r?.profit ?? 0,
  costPerCallMicro: r?.cost_per_call ?? null,
  revenuePerCallMicro: r?.revenue_per_call ?? null,
  profitPerCallMicro: r?.profit_per_call ?? null,
});

export interface Window {
  from: Date;
  to: Date;
}

/** Call figures per account (or for one account), grouped in SQL. */
async function callSummaries(sql: Sql, w: Window, accountId?: string): Promise<Row[]> {
  return sql<Row[]>`
    with per_call as (
      select c.account_id, c.status, c.answered_at, c.duration_sec,
             cc.billed_seconds, cc.total_provider_cost, cc.charged_amount, cc.profit_margin
      from calls c left join call_costs cc on cc.call_id = c.id
      where c.terminal and c.created_at >= ${w.from} and c.created_at < ${w.to}
        ${accountId ? sql`and c.account_id = ${accountId}` : sql``}
    ), agg as (
      select account_id,
             count(*)::int as calls,
             count(*) filter (where answered_at is not null)::int as answered,
             count(*) filter (where status = 'completed')::int as completed,
             avg(duration_sec) filter (where answered_at is not null) as avg_duration,
             coalesce(sum(billed_seconds), 0)::bigint as billed_seconds,
             coalesce(sum(total_provider_cost), 0)::numeric as cost,
             coalesce(sum(charged_amount), 0)::numeric as revenue,
             coalesce(sum(profit_margin), 0)::numeric as profit
      from per_call group by account_id
    )
    select account_id, calls, answered, completed,
           round(answered::numeric / nullif(calls, 0), 4)::float8 as answer_rate,
           round(completed::numeric / nullif(calls, 0), 4)::float8 as success_rate,
           round(avg_duration, 2)::float8 as avg_duration,
           billed_seconds,
           round(billed_seconds::numeric / 60, 2)::float8 as minutes,
           cost::bigint as cost, revenue::bigint as revenue, profit::bigint as profit,
           round(cost / nullif(calls, 0))::bigint as cost_per_call,
           round(revenue / nullif(calls, 0))::bigint as revenue_per_call,
           round(profit / nullif(calls, 0))::bigint as profit_per_call
    from agg order by account_id`;
}

export async function accountSummary(sql: Sql, accountId: string, w: Window): Promise<CallSummary> {
  const [row] = await callSummaries(sql, w, accountId);
  return toSummary(row);
}

export interface TopUpConversion {
  billsCreated: number;
  billsPaid: number;
  conversion: number | null;
  paidCreditMicro: number;
}
export interface AdminAccountSummary extends CallSummary {
  accountId: string;
  name: string;
  topUps: TopUpConversion;
  monthlyRevenue: { month: string; revenueMicro: number }[];
}

/** Every account with calls or top-ups in the window, plus platform totals. */
export async function adminSummary(
  sql: Sql,
  w: Window,
): Promise<{ accounts: AdminAccountSummary[]; totals: CallSummary & { topUps: TopUpConversion } }> {
  const [calls, topups, monthly, totalCalls, totalTopups] = await Promise.all([
    callSummaries(sql, w),
    sql<{ account_id: string; created: number; paid: number; conversion: number | null; paid_credit: number }[]>`
      select account_id,
             count(*)::int as created,
             count(*) filter (where status = 'paid')::int as paid,
             round(count(*) filter (where status = 'paid')::numeric / nullif(count(*), 0), 4)::float8 as conversion,
             coalesce(sum(credit_amount) filter (where status = 'paid'), 0)::bigint as paid_credit
      from topups
      where bill_id is not null and created_at >= ${w.from} and created_at < ${w.to}
      group by account_id`,
    sql<{ account_id: string; month: string; revenue: number }[]>`
      select c.account_id, to_char(date_trunc('month', c.created_at at time zone 'UTC'), 'YYYY-MM') as month,
             sum(cc.charged_amount)::bigint as revenue
      from calls c join call_costs cc on cc.call_id = c.id
      where c.terminal and c.created_at >= ${w.from} and c.created_at < ${w.to}
      group by 1, 2 order by 1, 2`,
    sql<Row[]>`
      select null as account_id, count(*)::int as calls,
             count(*) filter (where c.answered_at is not null)::int as answered,
             count(*) filter (where c.status = 'completed')::int as completed,
             round(count(*) filter (where c.answered_at is not null)::numeric / nullif(count(*), 0), 4)::float8 as answer_rate,
             round(count(*) filter (where c.status = 'completed')::numeric / nullif(count(*), 0), 4)::float8 as success_rate,
             round(avg(c.duration_sec) filter (where c.answered_at is not null), 2)::float8 as avg_duration,
             coalesce(sum(cc.billed_seconds), 0)::bigint as billed_seconds,
             round(coalesce(sum(cc.billed_seconds), 0)::numeric / 60, 2)::float8 as minutes,
             coalesce(sum(cc.total_provider_cost), 0)::bigint as cost,
             coalesce(sum(cc.charged_amount), 0)::bigint as revenue,
             coalesce(sum(cc.profit_margin), 0)::bigint as profit,
             round(coalesce(sum(cc.total_provider_cost), 0)::numeric / nullif(count(*), 0))::bigint as cost_per_call,
             round(coalesce(sum(cc.charged_amount), 0)::numeric / nullif(count(*), 0))::bigint as revenue_per_call,
             round(coalesce(sum(cc.profit_margin), 0)::numeric / nullif(count(*), 0))::bigint as profit_per_call
      from calls c left join call_costs cc on cc.call_id = c.id
      where c.terminal and c.created_at >= ${w.from} and c.created_at < ${w.to}`,
    sql<{ created: number; paid: number; conversion: number | null; paid_credit: number }[]>`
      select count(*)::int as created, count(*) filter (where status = 'paid')::int as paid,
             round(count(*) filter (where status = 'paid')::numeric / nullif(count(*), 0), 4)::float8 as conversion,
             coalesce(sum(credit_amount) filter (where status = 'paid'), 0)::bigint as paid_credit
      from topups where bill_id is not null and created_at >= ${w.from} and created_at < ${w.to}`,
  ]);
  const ids = [...new Set([...calls.map((r) => r.account_id), ...topups.map((r) => r.account_id)])];
  const names = ids.length
    ? await sql<{ id: string; name: string }[]>`select id, name from accounts where id in ${sql(ids)}`
    : [];
  const nameOf = new Map(names.map((n) => [n.id, n.name]));
  const conv = (
    t: { created: number; paid: number; conversion: number | null; paid_credit: number } | undefined,
  ): TopUpConversion => ({
    billsCreated: t?.created ?? 0,
    billsPaid: t?.paid ?? 0,
    conversion: t?.conversion ?? null,
    paidCreditMicro: t?.paid_credit ?? 0,
  });
  const accounts = ids.sort().map((id) => ({
    accountId: id,
    name: nameOf.get(id) ?? '',
    ...toSummary(calls.find((r) => r.account_id === id)),
    topUps: conv(topups.find((r) => r.account_id === id)),
    monthlyRevenue: monthly.filter((m) => m.account_id === id).map((m) => ({ month: m.month, revenueMicro: m.revenue })),
  }));
  return { accounts, totals: { ...toSummary(totalCalls[0]), topUps: conv(totalTopups[0]) } };
}
