import { startChaosStack } from './stack';
import { createRng } from './random';
import { ApiClient, createCampaigns, createTenants, startCampaigns, type Tenant } from './workload';
import { checkInvariants, waitForCampaigns, type InvariantReport } from './invariants';

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
  const cs = await startChaosStack({ env, keep: o.keep, databaseServerUrl: o.databaseServerUrl, temporalInMemory: true });
  try {
    log(`stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s (logs in ${cs.dataDir}/logs)`);
    const api = new ApiClient(cs.apiUrl);
    const sizes = Array.from({ length: o.accounts }, () => rng.int(...o.callsPerAccount));
    const contacts = sizes.reduce((a, b) => a + b, 0);
    const setupStart = Date.now();
    const base = { accounts: o.accounts, calls: 0, rng, maxConcurrentCalls: o.maxConcurrentCalls, maxTalkMs: 3_000, parallel: 16 };
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
    log(`${o.accounts} accounts topped up through Billplz and ${contacts} contacts in ${tenants.length} campaigns, set up in ${setupSec.toFixed(1)} s; starting them all`);

    const runStart = new Date();
    await startCampaigns(api, tenants, 32);
    const campaignIds = tenants.map((t) => t.campaignId);
    const finished = await waitForCampaigns(cs.sql, campaignIds, o.timeoutMs, (done, calls) => log(`… ${done}/${campaignIds.length} campaigns done, ${calls} attempts ended`), o.signal);
    if (o.signal?.aborted) throw new Error('load run aborted');
    const [span] = await cs.sql<{ last: Date | null }[]>`select max(updated_at) as last from calls where campaign_id = any(${campaignIds}::uuid[])`;
    const runSec = ((span?.last ?? new Date()).getTime() - runStart.getTime()) / 1000;
    const ends = await cs.sql<{ ended: Date; sid: string | null }[]>`
      select coalesce(ended_at, updated_at) as ended, provider_call_sid as sid from calls where campaign_id = any(${campaignIds}::uuid[]) and terminal`;
    const latencies = ends.map((e) => (e.ended.getTime() - runStart.getTime()) / 1000);
    log(`checking invariants over ${ends.length} attempts…`);
    const report = await checkInvariants({ sql: cs.sql, temporal: cs.temporal, twilio: cs.twilio, accountIds: tenants.map((t) => t.accountId), campaignIds });
    const disagreements = report.checks.find((c) => c.name.startsWith('status and billed'))!.violations.length;
    const undialed = ends.filter((e) => !e.sid).length;
    const attempts = Object.values(report.statuses).reduce((a, b) => a + b, 0);
    return {
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

