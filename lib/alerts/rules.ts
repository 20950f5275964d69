import type { Sql } from '../db';

/**
 * Alert conditions, evaluated in SQL by the scheduled sweep. Each rule yields the set of
 * conditions that hold now, keyed by `condition_key`; the sweep fires the ones not already
 * firing (the partial unique index on alerts(condition_key) where state = 'firing' makes a
 * second fire a no-op) and clears firing alerts of the rule whose condition no longer holds.
 */
export interface AlertRuleOptions {
  /** Failure rate above this fraction fires (strictly above). Default 0.2. */
  failureRateThreshold?: number;
  /** Only calls created in the last N minutes count. Default 15. */
  failureWindowMinutes?: number;
  /** At least this many terminal calls in the window before the rate means anything. Default 10. */
  failureMinCalls?: number;
  /** This many provider 5xx/unavailable errors of one vendor in the window fire. Default 5. */
  providerBurstCount?: number;
  providerBurstWindowMinutes?: number;
  /** Calls settled in the last N minutes with a negative margin fire negative_margin. Default 60. */
  negativeMarginWindowMinutes?: number;
}
export const ALERT_DEFAULTS: Required<AlertRuleOptions> = {
  failureRateThreshold: 0.2,
  failureWindowMinutes: 15,
  failureMinCalls: 10,
  providerBurstCount: 5,
  providerBurstWindowMinutes: 5,
  negativeMarginWindowMinutes: 60,
};

export type AlertKind =
  'low_balance' | 'campaign_failure_rate' | 'provider_5xx_burst' | 'insufficient_credits' | 'negative_margin';
export interface Condition {
  conditionKey: string;
  accountId: string | null;
  payload: Record<string, unknown>;
}

export const conditionKeys = {
  lowBalance: (accountId: string) => `low_balance:${accountId}`,
  campaignFailureRate: (campaignId: string) => `campaign_failure_rate:${campaignId}`,
  provider5xx: (vendor: string) => `provider_5xx_burst:${vendor}`,
  /** The key campaignRaiseAlert (activities/campaign) uses when it pauses a campaign for credits. */
  insufficientCredits: (accountId: string) => `insufficient_credits:${accountId}`,
  negativeMargin: (accountId: string) => `negative_margin:${accountId}`,
};

/**
 * Low balance: available credit below the account's `low_balance_threshold` (default $10).
 * Only accounts that have a ledger row (were ever credited) and a threshold above 0: a new
 * account has nothing to run out of, and a 0 threshold switches the alert off.
 */
async function lowBalance(sql: Sql): Promise<Condition[]> {
  const rows = await sql<{ id: string; available: number; held: number; threshold: number }[]>`
    select a.id, b.available, b.held, a.low_balance_threshold as threshold
    from accounts a join ledger_balances b on b.account_id = a.id
    where a.status = 'active' and a.low_balance_threshold > 0 and b.available < a.low_balance_threshold`;
  return rows.map((r) => ({
    conditionKey: conditionKeys.lowBalance(r.id),
    accountId: r.id,
    payload: { availableMicro: r.available, heldMicro: r.held, thresholdMicro: r.threshold },
  }));
}

/**
 * Campaign failure rate: among a campaign's terminal calls created in the last window, the share
 * with status `failed` (the call could not be placed or broke: not busy, not no-answer, which
 * are the callee's choice) is above the threshold, with at least `failureMinCalls` calls.
 * The ratio compares integers: failed * 10000 > threshold(bp) * calls.
 */
async function campaignFailureRate(sql: Sql, o: Required<AlertRuleOptions>): Promise<Condition[]> {
  const bp = Math.round(o.failureRateThreshold * 10_000);
  const rows = await sql<{ campaign_id: string; account_id: string; calls: number; failed: number }[]>`
    select campaign_id, account_id, count(*)::int as calls, count(*) filter (where status = 'failed')::int as failed
    from calls
    where terminal and campaign_id is not null
      and created_at >= now() - make_interval(mins => ${o.failureWindowMinutes})
    group by campaign_id, account_id
    having count(*) >= ${o.failureMinCalls}
       and count(*) filter (where status = 'failed') * 10000 > ${bp} * count(*)`;
  return rows.map((r) => ({
    conditionKey: conditionKeys.campaignFailureRate(r.campaign_id),
    accountId: r.account_id,
    payload: {
      campaignId: r.campaign_id,
      calls: r.calls,
      failed: r.failed,
      windowMinutes: o.failureWindowMinutes,
      threshold: o.failureRateThreshold,
    },
  }));
}

/** Provider 5xx burst: at least N recorded provider errors of one vendor in the window. */
async function provider5xxBurst(sql: Sql, o: Required<AlertRuleOptions>): Promise<Condition[]> {
  const rows = await sql<{ vendor: string; errors: number }[]>`
    select vendor, count(*)::int as errors from provider_errors
    where occurred_at >= now() - make_interval(mins => ${o.providerBurstWindowMinutes})
    group by vendor having count(*) >= ${o.providerBurstCount}`;
  return rows.map((r) => ({
    conditionKey: conditionKeys.provider5xx(r.vendor),
    accountId: null,
    payload: { vendor: r.vendor, errors: r.errors, windowMinutes: o.providerBurstWindowMinutes },
  }));
}

/**
 * Campaigns paused for insufficient credits. The campaign workflow raises this alert itself the
 * moment it pauses (after writing the paused status); the sweep delivers it and, because nothing
 * else would, clears it once no campaign of the account is paused for credits any more.
 */
async function insufficientCredits(sql: Sql): Promise<Condition[]> {
  const rows = await sql<{ account_id: string; campaign_ids: string[] }[]>`
    select account_id, array_agg(id::text order by id) as campaign_ids from campaigns
    where status = 'paused' and pause_reason = 'insufficient_credits'
    group by account_id`;
  return rows.map((r) => ({
    conditionKey: conditionKeys.insufficientCredits(r.account_id),
    accountId: r.account_id,
    payload: { campaignIds: r.campaign_ids },
  }));
}

/**
 * Negative margin: an account has calls settled in the window that were charged less than they
 * cost the providers (call_costs.profit_margin < 0). The default billing rule makes that
 * impossible for any usage one call can produce (test/ledger/pricing.test.ts), so a firing alert
 * means a price list set below its providers, or usage outside what the rule was sized for (e.g.
 * a far longer prompt): either is for an operator to look at. One condition per account; it clears
 * once the window holds no such call.
 */
async function negativeMargin(sql: Sql, o: Required<AlertRuleOptions>): Promise<Condition[]> {
  const rows = await sql<{ account_id: string; calls: number; margin: string; call_ids: string[] }[]>`
    select account_id, count(*)::int as calls, sum(profit_margin)::text as margin,
           (array_agg(call_id::text order by profit_margin))[1:10] as call_ids
    from call_costs
    where profit_margin < 0 and created_at >= now() - make_interval(mins => ${o.negativeMarginWindowMinutes})
    group by account_id`;
  return rows.map((r) => ({
    conditionKey: conditionKeys.negativeMargin(r.account_id),
    accountId: r.account_id,
    payload: {
      calls: r.calls,
      marginMicro: Number(r.margin),
      worstCallIds: r.call_ids,
      windowMinutes: o.negativeMarginWindowMinutes,
    },
  }));
}

export const RULES: Record<AlertKind, (sql: Sql, o: Required<AlertRuleOptions>) => Promise<Condition[]>> = {
  low_balance: (sql) => lowBalance(sql),
  campaign_failure_rate: campaignFailureRate,
  provider_5xx_burst: provider5xxBurst,
  insufficient_credits: (sql) => insufficientCredits(sql),
  negative_margin: negativeMargin,
};

/**
 * Evaluates one rule and reconciles `alerts` with it in one transaction: fires new conditions
 * (a condition already firing is left alone), clears firing alerts whose condition is gone.
 * Returns the ids of alerts fired now.
 */
export async function reconcileRule(
  sql: Sql,
  kind: AlertKind,
  opts: AlertRuleOptions = {},
): Promise<{ fired: string[]; cleared: number; clearedIds: string[] }> {
  const o = { ...ALERT_DEFAULTS, ...opts };
  const conditions = await RULES[kind](sql, o);
  return sql.begin(async (tx) => {
    const fired: string[] = [];
    for (const c of conditions) {
      const [row] = await tx<{ id: string }[]>`
        insert into alerts (account_id, kind, condition_key, payload)
        values (${c.accountId}, ${kind}, ${c.conditionKey}, ${tx.json(c.payload as never)})
        on conflict (condition_key) where state = 'firing' do nothing
        returning id`;
      if (row) fired.push(row.id);
    }
    const keys = conditions.map((c) => c.conditionKey);
    const cleared = await tx<{ id: string }[]>`
      update alerts set state = 'cleared', cleared_at = now()
      where kind = ${kind} and state = 'firing'
        ${keys.length ? tx`and condition_key not in ${tx(keys)}` : tx``}
      returning id`;
    return { fired, cleared: cleared.length, clearedIds: cleared.map((c) => c.id) };
  });
}

/** Firing alerts not yet delivered, for the sweep to (re)try; capped so a dead URL is not hammered forever. */
export async function undeliveredAlerts(sql: Sql, maxAttempts: number): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select id from alerts
    where state = 'firing' and delivery_state in ('pending', 'failing') and delivery_attempts < ${maxAttempts}
    order by fired_at limit 200`;
  return rows.map((r) => r.id);
}
