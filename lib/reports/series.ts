import type { Sql } from '../db';
import type { Window } from './summary';

/**
 * Breakdowns and time series beside the summary (lib/reports/summary.ts), on its definitions: a
 * call counts in the window by created_at, terminal calls only; money from call_costs.
 */
export async function callsByStatus(sql: Sql, accountId: string, w: Window): Promise<{ status: string; calls: number }[]> {
  return sql<{ status: string; calls: number }[]>`
    select status, count(*)::int as calls from calls
    where account_id = ${accountId} and terminal and created_at >= ${w.from} and created_at < ${w.to}
    group by status order by calls desc, status`;
}

/** Calls per `unit` (UTC buckets) and the amounts charged for them, oldest first; empty buckets left out. */
export async function callSeries(
  sql: Sql,
  accountId: string,
  w: Window,
  unit: 'hour' | 'day',
): Promise<{ at: Date; calls: number; chargedMicro: number }[]> {
  return sql<{ at: Date; calls: number; chargedMicro: number }[]>`
    select date_trunc(${unit}, c.created_at at time zone 'UTC') at time zone 'UTC' as at, count(*)::int as calls,
           coalesce(sum(k.charged_amount), 0)::bigint as "chargedMicro"
    from calls c left join call_costs k on k.call_id = c.id
    where c.account_id = ${accountId} and c.terminal and c.created_at >= ${w.from} and c.created_at < ${w.to}
    group by 1 order by 1`;
}

/** Platform revenue, provider cost and margin per calendar month (UTC), as the admin summary counts them. */
export async function platformMonthly(
  sql: Sql,
  w: Window,
): Promise<{ month: string; calls: number; revenueMicro: number; costMicro: number; marginMicro: number }[]> {
  return sql`
    select to_char(date_trunc('month', c.created_at at time zone 'UTC'), 'YYYY-MM') as month, count(*)::int as calls,
           coalesce(sum(k.charged_amount), 0)::bigint as "revenueMicro", coalesce(sum(k.total_provider_cost), 0)::bigint as "costMicro",
           coalesce(sum(k.profit_margin), 0)::bigint as "marginMicro"
    from calls c join call_costs k on k.call_id = c.id
    where c.terminal and c.created_at >= ${w.from} and c.created_at < ${w.to}
    group by 1 order by 1`;
}

/** Provider errors per vendor in buckets of `bucketMin` minutes, those with at least `minCount` (what the burst alert counts). */
export async function providerErrorBursts(
  sql: Sql,
  since: Date,
  bucketMin: number,
  minCount: number,
): Promise<{ vendor: string; at: Date; errors: number; statuses: string }[]> {
  return sql`
    select vendor, to_timestamp(floor(extract(epoch from occurred_at) / ${bucketMin * 60}) * ${bucketMin * 60}) as at, count(*)::int as errors,
           string_agg(distinct coalesce(http_status::text, code, '?'), ', ') as statuses
    from provider_errors where occurred_at >= ${since}
    group by 1, 2 having count(*) >= ${minCount} order by 2 desc, 1 limit 200`;
}
