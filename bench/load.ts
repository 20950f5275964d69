/**
 * npm run load — LOAD_ACCOUNTS accounts (200), each topped up through Billplz and running its own
 * campaign of LOAD_CALLS_MIN..LOAD_CALLS_MAX contacts (5..10; about 4.5 minutes here, see
 * docs/reliability.md), all at once, against the simulators;
 * nothing is killed. Prints attempts completed, error rate, throughput and the chaos invariants
 * (chaos/invariants.ts); exits 1 on a violation or when the campaigns do not finish.
 * Env: LOAD_ACCOUNTS, LOAD_CALLS_MIN, LOAD_CALLS_MAX, LOAD_CPS (dials/s the dialer may make, 20),
 * LOAD_CONCURRENCY (per campaign, 5), LOAD_MEDIA=1 (answered calls talk to the media gateway through
 * the simulated callee; off by default: the load is on the call path), LOAD_TIMEOUT_SEC (1800),
 * CHAOS_SEED, CHAOS_KEEP=1.
 * Last line: {"bench":"load",…}
 */
import { runLoad } from '../chaos/load';
import { seedFromEnv } from '../chaos/random';
import { formatReport } from '../chaos/invariants';
import { stopOnSignals } from '../scripts/dev/processes';

const num = (name: string, dflt: number) => {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer`);
  return v;
};
const seed = seedFromEnv();
const abort = new AbortController();
// Every stack process is in its own process group: a signal at any moment (start-up included) stops them all.
stopOnSignals(() => abort.abort());
const o = {
  seed,
  accounts: num('LOAD_ACCOUNTS', 200),
  callsPerAccount: [num('LOAD_CALLS_MIN', 5), num('LOAD_CALLS_MAX', 10)] as [number, number],
  callsPerSecond: num('LOAD_CPS', 20),
  maxConcurrentCalls: num('LOAD_CONCURRENCY', 5),
  media: process.env.LOAD_MEDIA === '1',
  timeoutMs: num('LOAD_TIMEOUT_SEC', 1800) * 1000,
  keep: process.env.CHAOS_KEEP === '1',
  signal: abort.signal,
};
if (o.callsPerAccount[0] > o.callsPerAccount[1]) throw new Error('LOAD_CALLS_MIN must not exceed LOAD_CALLS_MAX');
console.log(`load: ${o.accounts} accounts × ${o.callsPerAccount.join('–')} contacts, dialer ${o.callsPerSecond} calls/s, ${o.maxConcurrentCalls} per campaign, media ${o.media ? 'on' : 'off'}, seed ${seed}`);
const started = Date.now();
const r = await runLoad(o).catch((err) => {
  console.error(`\n${(err as Error).message}`);
  process.exit(abort.signal.aborted ? 130 : 1);
});
const checked = r.report.checks.reduce((n, c) => n + c.checked, 0);
console.log(`\naccounts: ${r.accounts}, contacts: ${r.contacts}, attempts completed: ${r.attempts} (${Object.entries(r.report.statuses).map(([k, n]) => `${k} ${n}`).join(', ')})`);
console.log(`campaigns ${r.finished ? 'all finished' : 'did NOT all finish'}; setup ${r.setupSec.toFixed(1)} s, run ${r.runSec.toFixed(1)} s, total ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`throughput: ${r.attemptsPerSec.toFixed(2)} attempts/s; attempt end after campaign start p50 ${r.endLatencySec.p50.toFixed(1)} s, p95 ${r.endLatencySec.p95.toFixed(1)} s, max ${r.endLatencySec.max.toFixed(1)} s`);
console.log(`errors: ${r.errors} of ${r.attempts} attempts (${(r.errorRate * 100).toFixed(2)} %)`);
console.log(`invariants (${checked} items checked):\n${formatReport(r.report)}`);
const ok = r.finished && r.report.violations === 0;
console.log(JSON.stringify({ bench: 'load', seed, accounts: r.accounts, contacts: r.contacts, attempts: r.attempts, runSec: Number(r.runSec.toFixed(1)), attemptsPerSec: Number(r.attemptsPerSec.toFixed(2)), errors: r.errors, errorRate: Number(r.errorRate.toFixed(4)), checked, violations: r.report.violations, ok }));
process.exit(ok ? 0 : 1);
