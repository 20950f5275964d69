import { startChaosStack, type ChaosStack } from './stack';
import { createRng } from './random';
import { ApiClient, createCampaigns, createTenants, startCampaigns, type Tenant } from './workload';
import { killCounts, reviveAll, startKiller, type KillEvent } from './killer';
import { checkInvariants, waitForCampaigns, type InvariantReport } from './invariants';
import { startTerminator, type Termination } from './terminator';
import { paidBillsCreditedOnce, startHoldWatch } from './money-checks';
import { BILLPLZ_SIM_DEFAULTS } from '../providers/billplz/settings';

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
  /** N of each application process behind HAProxy; the killer takes down one instance at a time. */
  replicas?: number;
  /** Call workflows terminated by "an operator" at random moments during the run (default 0). */
  terminations?: number;
  /** A Postgres outage of this many seconds, through a TCP proxy only the stack uses (default none). */
  pgOutageSec?: number;
  /** Pay a top-up per account on Billplz while Postgres is away (default true). */
  payDuringOutage?: boolean;
  /** When the outage starts, after the campaigns start (ms, default 5 000). */
  pgOutageAfterMs?: number;
  /** Grace past a call's maximum before a pending hold is a violation (s, default 120; the outage's length is added). */
  holdGraceSec?: number;
  /** Aborting stops the run: the stack is stopped and runChaos rejects. */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface ChaosResult {
  seed: number;
  tenants: Tenant[];
  targets: string[];
  kills: KillEvent[];
  terminations: Termination[];
  /** The Postgres outage as it happened (s from campaign start, length). */
  pgOutage?: { atSec: number; lengthSec: number };
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
  const cs: ChaosStack = await startChaosStack({
    env,
    keep: o.keep,
    databaseServerUrl: o.databaseServerUrl,
    replicas: o.replicas,
    pgProxy: !!o.pgOutageSec,
    log: () => {},
  });
  try {
    log(
      `stack up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${cs.stack.restartable.join(', ')} (logs in ${cs.dataDir}/logs)`,
    );
    const api = new ApiClient(cs.apiUrl);
    const w = { accounts: o.accounts, calls: o.calls, rng, maxConcurrentCalls: o.maxConcurrentCalls ?? 5 };
    const tenants = await createCampaigns(api, cs.twilio, await createTenants(api, cs.adminKey, w), w);
    log(`${tenants.length} accounts topped up through Billplz, ${o.calls} contacts in ${tenants.length} campaigns`);

    const targets = o.targets ?? cs.stack.restartable;
    const missing = targets.filter((t) => !cs.stack.restartable.includes(t));
    if (missing.length) throw new Error(`cannot kill ${missing.join(', ')}: the stack runs ${cs.stack.restartable.join(', ')}`);
    const accountIds = tenants.map((t) => t.accountId);
    const campaignIds = tenants.map((t) => t.campaignId);
    // Top-ups created now and paid on Billplz while Postgres is away from the stack: each must
    // still be credited exactly once when it is back.
    const duringOutage =
      o.pgOutageSec && o.payDuringOutage !== false
        ? await Promise.all(
            tenants.map((t, i) =>
              api.ok<{ id: string; paymentUrl: string }>('POST', '/v1/credits/topups', {
                key: t.key,
                body: { amount: 2_000 },
                headers: { 'idempotency-key': `chaos-outage-${o.seed}-${i}` },
              }),
            ),
          )
        : [];
    let outage: { atSec: number; lengthSec: number } | undefined;
    let outageStart = 0;
    const outageSoFar = () => (outage ? outage.lengthSec : outageStart ? (Date.now() - outageStart) / 1000 : 0);
    const holds = startHoldWatch(cs.sql, accountIds, { graceSec: o.holdGraceSec ?? 120, extraGraceSec: outageSoFar });
    const killer = startKiller(cs.stack, {
      targets,
      rng,
      intervalMs: o.intervalMs ?? [2_000, 6_000],
      downMs: o.downMs ?? [0, 3_000],
      killsPerTarget: o.killsPerTarget ?? 4,
      log,
    });
    const t0 = Date.now();
    await startCampaigns(api, tenants);
    const terminator = o.terminations
      ? startTerminator(
          {
            temporal: cs.temporal,
            campaignIds,
            statusOf: async (id) =>
              (await cs.sql<{ status: string }[]>`select status from calls where id = ${id}`)[0]?.status ?? 'no row',
          },
          { rng, count: o.terminations, intervalMs: o.intervalMs ?? [2_000, 6_000], log },
        )
      : undefined;
    const pgRun =
      o.pgOutageSec && cs.pg
        ? (async () => {
            await new Promise((r) => setTimeout(r, o.pgOutageAfterMs ?? 5_000));
            outageStart = Date.now();
            await cs.pg!.cut();
            log(`Postgres cut from the stack for ${o.pgOutageSec} s`);
            for (const t of duringOutage)
              await fetch(`${t.paymentUrl}/pay`, { method: 'POST', redirect: 'manual' }).catch(() => {});
            await new Promise((r) => setTimeout(r, o.pgOutageSec! * 1000));
            await cs.pg!.restore();
            outage = { atSec: (outageStart - t0) / 1000, lengthSec: (Date.now() - outageStart) / 1000 };
            log('Postgres restored');
          })()
        : undefined;
    const finished = await waitForCampaigns(
      cs.sql,
      campaignIds,
      o.timeoutMs ?? 15 * 60_000,
      (done, calls) =>
        log(
          `… ${done}/${campaignIds.length} campaigns done, ${calls} calls ended, ${killer.kills.length} kills, ${terminator?.terminations.length ?? 0} terminations so far`,
        ),
      o.signal,
    );
    await pgRun;
    const terminations = (await terminator?.stop()) ?? [];
    if (o.signal?.aborted) {
      await killer.stop();
      throw new Error('chaos run aborted');
    }
    const allKilled = await Promise.race([
      killer.done.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 0)),
    ]);
    if (!allKilled) log(`the campaigns finished before every target was killed ${o.killsPerTarget ?? 4} times`);
    const kills = await killer.stop();
    const elapsedSec = (Date.now() - t0) / 1000;
    log(
      `campaigns ${finished ? 'finished' : 'NOT finished'} in ${elapsedSec.toFixed(1)} s; ${kills.length} kills; checking invariants…`,
    );
    // Every process must be up for the checks (a kill the last restart raced with included).
    await reviveAll(cs.stack);
    // The top-ups paid during the outage settle (paid, or expired if nothing ever learned of it).
    const settleBy = Date.now() + 120_000;
    while (duringOutage.length && Date.now() < settleBy) {
      const [r] = await cs.sql<
        { n: number }[]
      >`select count(*)::int as n from topups where id = any(${duringOutage.map((t) => t.id)}::uuid[]) and status in ('creating', 'pending')`;
      if (!r!.n) break;
      await new Promise((res) => setTimeout(res, 1_000));
    }
    const report = await checkInvariants({
      sql: cs.sql,
      temporal: cs.temporal,
      twilio: cs.twilio,
      accountIds,
      campaignIds,
      terminated: new Set(terminations.map((t) => t.callId)),
    });
    report.checks.push(await holds.stop());
    report.checks.push(
      await paidBillsCreditedOnce(
        cs.sql,
        { baseUrl: cs.stack.env.BILLPLZ_BASE_URL!, apiKey: BILLPLZ_SIM_DEFAULTS.apiKey },
        accountIds,
      ),
    );
    report.violations = report.checks.reduce((n, c) => n + c.violations.length, 0);
    return {
      seed: o.seed,
      tenants,
      targets,
      kills,
      terminations,
      pgOutage: outage,
      killsByTarget: killCounts(kills),
      finished,
      elapsedSec,
      report,
      dataDir: cs.dataDir,
    };
  } finally {
    await cs.close();
  }
}
