import { describe, expect, it, inject } from 'vitest';
import { runChaos } from '../../chaos/run';
import { seedFromEnv } from '../../chaos/random';
import { formatReport } from '../../chaos/invariants';

/**
 * The reduced `npm run chaos`: the dev stack as separate processes on its own Temporal and database,
 * 30 calls over 3 topped-up accounts, the worker, dialer, media gateway (when present) and API each
 * SIGKILLed once and restarted at seeded random moments; then every invariant. CHAOS_SEED reproduces a
 * failing run (the seed is in the failure message).
 */
describe('chaos (reduced)', () => {
  it('survives SIGKILLs of every application process with nothing dialed twice, no hold stranded and the books balanced', async () => {
    const seed = seedFromEnv();
    const r = await runChaos({
      seed,
      calls: Number(process.env.CHAOS_TEST_CALLS ?? 30),
      accounts: 3,
      callsPerSecond: 5,
      intervalMs: [1_000, 3_000],
      downMs: [0, 2_000],
      // One kill each keeps this under two minutes: a killed worker's in-flight activities wait out
      // their 30 s start-to-close timeout. npm run chaos kills each several times.
      killsPerTarget: 1,
      timeoutMs: 300_000,
      databaseServerUrl: inject('databaseUrl'),
      log: () => {},
    });
    const why = `seed ${seed} (CHAOS_SEED=${seed} reproduces it); kills ${JSON.stringify(r.killsByTarget)}\n${formatReport(r.report)}`;
    expect(r.finished, why).toBe(true);
    expect(r.report.violations, why).toBe(0);
    // Each target died at least once while calls were in flight.
    for (const target of r.targets) expect(r.killsByTarget[target] ?? 0, why).toBeGreaterThanOrEqual(1);
    // The checks looked at everything: every contact, and every attempt the campaigns made.
    const checked = Object.fromEntries(r.report.checks.map((c) => [c.name, c.checked]));
    expect(checked["every contact done, its final status its last attempt's"], why).toBe(30);
    expect(
      r.report.checks.every((c) => c.checked > 0),
      why,
    ).toBe(true);
  }, 400_000);
});
