import { startChaosStack, type ChaosStack } from './stack';
import { createRng } from './random';
import { ApiClient, createCampaigns, createTenants, startCampaigns, type Tenant } from './workload';
import { killCounts, reviveAll, startKiller, type KillEvent } from './killer';
import { checkInvariants, waitForCampaigns, type InvariantReport } from './invariants';

export interface ChaosOptions {
  seed: number;
  calls: number;
  accounts: number;
  /** Processes to SIGKILL; default every application process the stack runs (worker, dialer, media gateway, API). */
  targets?: string[];
  intervalMs?: [number, number];
  downMs?: [number, number];
  /** Kills per target (default 4). */
  killsPerTarget?: number;
  /** Dials per second the dialer may make (Twilio's per-account CPS). */
  callsPerSecond?: number;
  maxConcurrentCalls?: number;
  /** Give up waiting for the campaigns after this long. */
  timeoutMs?: number;
  /** Postgres server for the run's fresh database (default DATABASE_URL or the local server). */
  databaseServerUrl?: string;
  keep?: boolean;
  /** Aborting stops the run: the stack is stopped and runChaos rejects. */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface ChaosResult {
  seed: number;
  tenants: Tenant[];
  targets: string[];
  kills: KillEvent[];
  killsByTarget: Record<string, number>;
  finished: boolean;
  elapsedSec: number;
  report: InvariantReport;
  dataDir: string;
}

/**
 * The chaos run: the stack as separate processes, tenants topped up through Billplz, one campaign
 * each, and while they run a killer SIGKILLs and restarts the application processes at seeded
 * random moments. When every campaign is final (or the time is up) the killer stops, every process
 * is running again, and the invariants are checked.
 */
export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  const rng = createRng(o.seed);
  const env: NodeJS.ProcessEnv = { DIALER_CALLS_PER_SECOND: String(o.callsPerSecond ?? 5) };
  const started = Date.now();
  log(`starting the stack (seed ${o.seed})…`);
  const cs: ChaosStack = await startChaosStack({ env, keep: o.keep, databaseServerUrl: o.databaseServerUrl, log: () => {} });
  try {
    log(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${cs.stack.restartable.join(', ')} (logs in ${cs.dataDir}/logs)`);
    const api = new ApiClient(cs.apiUrl);
    const w = { accounts: o.accounts, calls: o.calls, rng, maxConcurrentCalls: o.maxConcurrentCalls ?? 5 };
    const tenants = await createCampaigns(api, cs.twilio, await createTenants(api, cs.adminKey, w), w);
    log(`${tenants.length} accounts topped up through Billplz, ${o.calls} contacts in ${tenants.length} campaigns`);

    const targets = o.targets ?? cs.stack.restartable;
    const missing = targets.filter((t) => !cs.stack.restartable.includes(t));
    if (missing.length) throw new Error(`cannot kill ${missing.join(', ')}: the stack runs ${cs.stack.restartable.join(', ')}`);
    const killer = startKiller(cs.stack, { targets, rng, intervalMs: o.intervalMs ?? [2_000, 6_000], downMs: o.downMs ?? [0, 3_000], killsPerTarget: o.killsPerTarget ?? 4, log });
    const t0 = Date.now();
    await startCampaigns(api, tenants);
    const campaignIds = tenants.map((t) => t.campaignId);
    const finished = await waitForCampaigns(cs.sql, campaignIds, o.timeoutMs ?? 15 * 60_000, (done, calls) =>
      log(`… ${done}/${campaignIds.length} campaigns done, ${calls} calls ended, ${killer.kills.length} kills so far`), o.signal);
    if (o.signal?.aborted) {
      await killer.stop();
      throw new Error('chaos run aborted');
    }
    const allKilled = await Promise.race([killer.done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 0))]);
    if (!allKilled) log(`the campaigns finished before every target was killed ${o.killsPerTarget ?? 4} times`);
    const kills = await killer.stop();
    const elapsedSec = (Date.now() - t0) / 1000;
    log(`campaigns ${finished ? 'finished' : 'NOT finished'} in ${elapsedSec.toFixed(1)} s; ${kills.length} kills; checking invariants…`);
    // Every process must be up for the checks (a kill the last restart raced with included).
    await reviveAll(cs.stack);
    const report = await checkInvariants({ sql: cs.sql, temporal: cs.temporal, twilio: cs.twilio, accountIds: tenants.map((t) => t.accountId), campaignIds });
    return { seed: o.seed, tenants, targets, kills, killsByTarget: killCounts(kills), finished, elapsedSec, report, dataDir: cs.dataDir };
  } finally {
    await cs.close();
  }
}
