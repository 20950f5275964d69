import { describe, expect, it, inject } from 'vitest';
import { runChaos } from '../../chaos/run';
import { seedFromEnv } from '../../chaos/random';
import { formatReport } from '../../chaos/invariants';

/**
 * Issue 15's faults need issue 15's fixes (the calls and campaign branches): a terminated call
 * workflow strands its hold and its campaign until the reconciler lands, and a bill paid while
 * Postgres is away stays uncredited until the top-up workflow asks Billplz. CHAOS_ISSUE15=1 turns
 * them on (operator terminations, a top-up paid during the outage); without it the run keeps the
 * replicas, the kills and the Postgres outage, which must hold today.
 */
const ISSUE15 = process.env.CHAOS_ISSUE15 === '1';

/**
 * The reduced `npm run chaos -- --replicas 2` with issue 15's faults: two of each process behind
 * HAProxy, one instance of each kind SIGKILLed and restarted, call workflows terminated by "an
 * operator", and Postgres cut from the stack (a TCP proxy) for 20 s (5 min in the full run) while
 * top-ups are paid; then every invariant, the two money ones included: no pending hold older than
 * its call's maximum + grace, and every paid bill credited once.
 */
describe('chaos with replicas, operator terminations and a Postgres outage (reduced)', () => {
  it('keeps every invariant', async () => {
    const seed = seedFromEnv();
    const r = await runChaos({
      seed,
      calls: 24,
      accounts: 2,
      replicas: 2,
      targets: ['worker-1', 'dialer-2', 'media-gateway-1', 'api-2'],
      killsPerTarget: 1,
      intervalMs: [1_000, 3_000],
      downMs: [0, 2_000],
      terminations: ISSUE15 ? 2 : 0,
      payDuringOutage: ISSUE15,
      pgOutageSec: 20,
      pgOutageAfterMs: 4_000,
      holdGraceSec: 60,
      timeoutMs: 360_000,
      databaseServerUrl: inject('databaseUrl'),
      log: process.env.CHAOS_LOG ? console.log : () => {},
    });
    const why = `seed ${seed}; kills ${JSON.stringify(r.killsByTarget)}; terminated ${JSON.stringify(r.terminations)}\n${formatReport(r.report)}`;
    expect(r.pgOutage?.lengthSec ?? 0, why).toBeGreaterThanOrEqual(20);
    expect(r.terminations.length, why).toBe(ISSUE15 ? 2 : 0);
    expect(r.finished, why).toBe(true);
    expect(r.report.violations, why).toBe(0);
    const checked = Object.fromEntries(r.report.checks.map((c) => [c.name, c.checked]));
    expect(checked['every paid bill credited once'], why).toBe(ISSUE15 ? 4 : 2); // per account: one before the run (and one paid during the outage)
    expect(checked["no pending hold older than its call's maximum + grace"], why).toBeGreaterThan(0);
  }, 600_000);
});
