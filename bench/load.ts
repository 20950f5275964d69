/**
 * npm run load [-- --accounts 200 --calls 1000 [--replicas N]] — `--accounts` accounts, each topped
 * up through Billplz and running its own campaign of `--calls` contacts (without --calls,
 * LOAD_CALLS_MIN..LOAD_CALLS_MAX: 5..10), all at once, against the simulators, over the full path:
 * campaign → call workflow → dialer → Twilio simulator → status callbacks → settle, with short
 * simulated calls (answered callees talk ≤ 3 s); nothing is killed. Prints attempts, throughput,
 * Temporal actions, Postgres writes and CPU per call per process, the time from contact to dial, and
 * every ledger invariant over all calls (chaos/invariants.ts); exits 1 on a violation or when the
 * campaigns do not finish.
 * Env: LOAD_ACCOUNTS, LOAD_CALLS_MIN, LOAD_CALLS_MAX, LOAD_CPS (dials/s the dialer may make, 20),
 * LOAD_CONCURRENCY (per campaign, 5), LOAD_MEDIA=1 (answered calls talk to the media gateway through
 * the simulated callee; off by default: the load is on the call path), LOAD_TIMEOUT_SEC (3600),
 * CHAOS_SEED, CHAOS_KEEP=1.
 * Last line: {"bench":"load","accounts":…,"calls":…,"calls_per_s":…,"actions_per_call":…,"pg_writes_per_call":…,"violations":…}
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
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const argNum = (name: string, env: string, dflt: number) => {
  const raw = arg(name) ?? process.env[env];
  const v = raw === undefined ? dflt : Number(raw);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} (${env}) must be a positive integer`);
  return v;
};
const seed = seedFromEnv();
const perAccount = arg('calls');
const abort = new AbortController();
// Every stack process is in its own process group: a signal at any moment (start-up included) stops them all.
stopOnSignals(() => abort.abort());
const o = {
  seed,
  accounts: argNum('accounts', 'LOAD_ACCOUNTS', 200),
  callsPerAccount: (perAccount
    ? [argNum('calls', '-', 1), argNum('calls', '-', 1)]
    : [num('LOAD_CALLS_MIN', 5), num('LOAD_CALLS_MAX', 10)]) as [number, number],
  replicas: argNum('replicas', 'REPLICAS', 1),
  callsPerSecond: num('LOAD_CPS', 20),
  maxConcurrentCalls: num('LOAD_CONCURRENCY', 5),
  media: process.env.LOAD_MEDIA === '1',
  timeoutMs: num('LOAD_TIMEOUT_SEC', 3600) * 1000,
  keep: process.env.CHAOS_KEEP === '1',
  signal: abort.signal,
};
if (o.callsPerAccount[0] > o.callsPerAccount[1]) throw new Error('LOAD_CALLS_MIN must not exceed LOAD_CALLS_MAX');
console.log(
  `load: ${o.accounts} accounts × ${o.callsPerAccount.join('–')} contacts, dialer ${o.callsPerSecond} calls/s, ${o.maxConcurrentCalls} per campaign, media ${o.media ? 'on' : 'off'}, seed ${seed}`,
);
const started = Date.now();
const r = await runLoad(o).catch((err) => {
  console.error(`\n${(err as Error).message}`);
  process.exit(abort.signal.aborted ? 130 : 1);
});
const checked = r.report.checks.reduce((n, c) => n + c.checked, 0);
console.log(
  `\naccounts: ${r.accounts}, contacts: ${r.contacts}, attempts completed: ${r.attempts} (${Object.entries(r.report.statuses)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')})`,
);
console.log(
  `campaigns ${r.finished ? 'all finished' : 'did NOT all finish'}; setup ${r.setupSec.toFixed(1)} s, run ${r.runSec.toFixed(1)} s, total ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
console.log(
  `throughput: ${r.attemptsPerSec.toFixed(2)} attempts/s; attempt end after campaign start p50 ${r.endLatencySec.p50.toFixed(1)} s, p95 ${r.endLatencySec.p95.toFixed(1)} s, max ${r.endLatencySec.max.toFixed(1)} s`,
);
console.log(
  `contact to dial: p50 ${r.contactToDialSec.p50.toFixed(2)} s, p99 ${r.contactToDialSec.p99.toFixed(2)} s, max ${r.contactToDialSec.max.toFixed(2)} s`,
);
console.log(
  `per call: ${r.actionsPerCall?.toFixed(1) ?? '?'} Temporal actions, ${r.pgWritesPerCall.toFixed(1)} Postgres rows written, ${r.pgCommitsPerCall.toFixed(1)} commits`,
);
console.log(
  `CPU per call (ms): ${Object.entries(r.cpuMsPerCall)
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join(', ')}`,
);
console.log(`errors: ${r.errors} of ${r.attempts} attempts (${(r.errorRate * 100).toFixed(2)} %)`);
console.log(`invariants (${checked} items checked):\n${formatReport(r.report)}`);
const ok = r.finished && r.report.violations === 0;
console.log(
  JSON.stringify({
    bench: 'load',
    accounts: r.accounts,
    calls: r.attempts,
    contacts: r.contacts,
    calls_per_s: Number(r.attemptsPerSec.toFixed(2)),
    actions_per_call: r.actionsPerCall === undefined ? null : Number(r.actionsPerCall.toFixed(1)),
    pg_writes_per_call: Number(r.pgWritesPerCall.toFixed(1)),
    pg_commits_per_call: Number(r.pgCommitsPerCall.toFixed(1)),
    cpu_ms_per_call: Object.fromEntries(Object.entries(r.cpuMsPerCall).map(([k, v]) => [k, Number(v.toFixed(1))])),
    contact_to_dial_p99_s: Number(r.contactToDialSec.p99.toFixed(2)),
    run_s: Number(r.runSec.toFixed(1)),
    seed,
    errors: r.errors,
    checked,
    violations: r.report.violations,
  }),
);
process.exit(ok ? 0 : 1);
