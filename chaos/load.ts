import { startChaosStack } from './stack';
import { createRng } from './random';
import { ApiClient, createCampaigns, createTenants, startCampaigns, type Tenant } from './workload';
import { checkInvariants, waitForCampaigns, type InvariantReport } from './invariants';
import { snapshot } from './measure';

export interface LoadOptions {
  seed: number;
  accounts: number;
  /** Contacts per account, drawn uniformly from this range. */
  callsPerAccount: [number, number];
  callsPerSecond: number;
  maxConcurrentCalls: number;
  /** Run answered calls' media through the simulated callee and the media gateway. */
  media: boolean;
  timeoutMs: number;
  databaseServerUrl?: string;
  keep?: boolean;
  /** N of each application process behind HAProxy. */
  replicas?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface LoadResult {
  seed: number;
  accounts: number;
  contacts: number;
  attempts: number;
  finished: boolean;
  setupSec: number;
  runSec: number;
  /** Attempts ended per second between the first campaign start and the last campaign's end. */
  attemptsPerSec: number;
  /** Attempts whose outcome is not what the callee did (no dial, or a status or billing the provider contradicts). */
  errors: number;
  errorRate: number;
  /** Seconds from campaign start to each attempt's end: p50 / p95 / max. */
  endLatencySec: { p50: number; p95: number; max: number };
  /** Seconds from a call's row (the campaign picked the contact) to its dial starting: p50 / p99 / max. */
  contactToDialSec: { p50: number; p99: number; max: number };
  /** Temporal billable actions (the server's `action` counter) per attempt, campaigns' own included; undefined without the dev server's metrics. */
  actionsPerCall: number | undefined;
  /** Rows inserted, updated or deleted in the run's database per attempt, and commits per attempt. */
  pgWritesPerCall: number;
  pgCommitsPerCall: number;
  /** CPU milliseconds per attempt, per stack process (user + system). */
  cpuMsPerCall: Record<string, number>;
  report: InvariantReport;
}

const quantile = (xs: number[], q: number) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

/**
 * `npm run load`: many accounts each running a campaign at once on the simulators, nothing killed;
 * measures what gets through and checks the same invariants as the chaos run.
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  const rng = createRng(o.seed);
  const env: NodeJS.ProcessEnv = {
    DIALER_CALLS_PER_SECOND: String(o.callsPerSecond),
    ...(o.media ? {} : { SIM_CALLEE: 'off' }),
    // Hundreds of workflows at once: a quieter log keeps the disk and the CPU for the calls.
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
  const t0 = Date.now();
  const cs = await startChaosStack({
    env,
    keep: o.keep,
    databaseServerUrl: o.databaseServerUrl,
    temporalInMemory: true,
    replicas: o.replicas,
  });
  try {
    log(`stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s (logs in ${cs.dataDir}/logs)`);
    const api = new ApiClient(cs.apiUrl);
    const sizes = Array.from({ length: o.accounts }, () => rng.int(...o.callsPerAccount));
    const contacts = sizes.reduce((a, b) => a + b, 0);
    const setupStart = Date.now();
    const base = {
      accounts: o.accounts,
      calls: 0,
      rng,
      maxConcurrentCalls: o.maxConcurrentCalls,
      maxTalkMs: 3_000,
      parallel: 16,
    };
    const tenants0 = await createTenants(api, cs.adminKey, base);
    // Each tenant gets its own number of contacts: one createCampaigns per size bucket keeps phones distinct.
    const tenants: Tenant[] = [];
    let phoneBase = 1_000_000;
    const bySize = new Map<number, typeof tenants0>();
    tenants0.forEach((t, i) => bySize.set(sizes[i]!, [...(bySize.get(sizes[i]!) ?? []), t]));
    for (const [size, group] of bySize) {
      tenants.push(...(await createCampaigns(api, cs.twilio, group, { ...base, calls: size * group.length, phoneBase })));
      phoneBase += size * group.length;
    }
    const setupSec = (Date.now() - setupStart) / 1000;
    log(
      `${o.accounts} accounts topped up through Billplz and ${contacts} contacts in ${tenants.length} campaigns, set up in ${setupSec.toFixed(1)} s; starting them all`,
    );

    const temporalMetrics = cs.stack.urls['Temporal metrics']?.replace('localhost', '127.0.0.1');
    const before = await snapshot(cs.sql, cs.stack.processes, temporalMetrics);
    const runStart = new Date();
    await startCampaigns(api, tenants, 32);
    const campaignIds = tenants.map((t) => t.campaignId);
    const finished = await waitForCampaigns(
      cs.sql,
      campaignIds,
      o.timeoutMs,
      (done, calls) => log(`… ${done}/${campaignIds.length} campaigns done, ${calls} attempts ended`),
      o.signal,
    );
    if (o.signal?.aborted) throw new Error('load run aborted');
    const after = await snapshot(cs.sql, cs.stack.processes, temporalMetrics);
    // Postgres publishes a backend's counters within ~10 s of its last transaction (PG 15+).
    await new Promise((r) => setTimeout(r, 11_000));
    const pgAfter = (await snapshot(cs.sql, [], undefined)).pg;
    const dials = await cs.sql<{ s: number }[]>`
      select extract(epoch from dial_started_at - created_at)::float8 as s from calls
      where campaign_id = any(${tenants.map((t) => t.campaignId)}::uuid[]) and dial_started_at is not null`;
    const [span] = await cs.sql<
      { last: Date | null }[]
    >`select max(updated_at) as last from calls where campaign_id = any(${campaignIds}::uuid[])`;
    const runSec = ((span?.last ?? new Date()).getTime() - runStart.getTime()) / 1000;
    const ends = await cs.sql<{ ended: Date; sid: string | null }[]>`
      select coalesce(ended_at, updated_at) as ended, provider_call_sid as sid from calls where campaign_id = any(${campaignIds}::uuid[]) and terminal`;
    const latencies = ends.map((e) => (e.ended.getTime() - runStart.getTime()) / 1000);
    log(`checking invariants over ${ends.length} attempts…`);
    const report = await checkInvariants({
      sql: cs.sql,
      temporal: cs.temporal,
      twilio: cs.twilio,
      accountIds: tenants.map((t) => t.accountId),
      campaignIds,
    });
    const disagreements = report.checks.find((c) => c.name.startsWith('status and billed'))!.violations.length;
    const undialed = ends.filter((e) => !e.sid).length;
    const attempts = Object.values(report.statuses).reduce((a, b) => a + b, 0);
    const per = (x: number) => x / Math.max(attempts, 1);
    const waits = dials.map((d) => d.s);
    return {
      contactToDialSec: { p50: quantile(waits, 0.5), p99: quantile(waits, 0.99), max: quantile(waits, 1) },
      actionsPerCall:
        before.actions !== undefined && after.actions !== undefined ? per(after.actions - before.actions) : undefined,
      pgWritesPerCall: per(pgAfter.rowsWritten - before.pg.rowsWritten),
      pgCommitsPerCall: per(pgAfter.commits - before.pg.commits),
      cpuMsPerCall: Object.fromEntries(
        Object.keys(after.cpu).map((k) => [k, per((after.cpu[k]! - (before.cpu[k] ?? 0)) * 1000)]),
      ),
      seed: o.seed,
      accounts: o.accounts,
      contacts,
      attempts,
      finished,
      setupSec,
      runSec,
      attemptsPerSec: attempts / Math.max(runSec, 0.001),
      errors: disagreements + undialed,
      errorRate: attempts ? (disagreements + undialed) / attempts : 0,
      endLatencySec: { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), max: quantile(latencies, 1) },
      report,
    };
  } finally {
    await cs.close();
  }
}
