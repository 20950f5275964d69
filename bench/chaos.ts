/**
 * npm run chaos [-- --replicas N] — a campaign of CHAOS_CALLS calls (200) over CHAOS_ACCOUNTS accounts (5) on the
 * simulators while the worker, dialer, media gateway (when present) and API are SIGKILLed at random
 * moments and restarted; then the invariants (chaos/invariants.ts). CHAOS_SEED reproduces a run.
 * Exits 1 on any violation. Env: CHAOS_CALLS, CHAOS_ACCOUNTS, CHAOS_SEED, CHAOS_CPS (dials/s, 5), CHAOS_KILLS (kills per
 * target, 5), CHAOS_MAX_INTERVAL_MS (longest pause between kills, 8000),
 * CHAOS_TARGETS (comma-separated), CHAOS_KEEP=1 keeps the database and logs, CHAOS_TERMINATIONS (call
 * workflows terminated by "an operator", 5), CHAOS_PG_OUTAGE_SEC (Postgres cut from the stack through
 * a TCP proxy for this long, 300; 0 = none), CHAOS_PG_OUTAGE_AFTER_SEC (10), CHAOS_HOLD_GRACE_SEC (120),
 * CHAOS_PAY_DURING_OUTAGE=0 (no top-up paid on Billplz while Postgres is away).
 * `--replicas N` (or REPLICAS): N of each process behind HAProxy, one instance killed at a time.
 * Last line: {"bench":"chaos",…}
 */
import { runChaos } from '../chaos/run';
import { seedFromEnv } from '../chaos/random';
import { formatReport } from '../chaos/invariants';
import { stopOnSignals } from '../scripts/dev/processes';

const seed = seedFromEnv();
const num = (name: string, dflt: number, min = 1e-9) => {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isFinite(v) || v < min) throw new Error(`${name} must be a number ≥ ${min}`);
  return v;
};
const argAt = process.argv.findIndex((a) => a === '--replicas');
const replicas = Number(argAt >= 0 ? process.argv[argAt + 1] : (process.env.REPLICAS ?? 1));
if (!Number.isInteger(replicas) || replicas < 1 || replicas > 8) throw new Error('--replicas must be a whole number from 1 to 8');

const abort = new AbortController();
// Every stack process is in its own process group: a signal at any moment (start-up included) stops them all.
stopOnSignals(() => abort.abort());
console.log(`chaos seed ${seed} (CHAOS_SEED=${seed} npm run chaos reproduces the schedule)`);
const r = await runChaos({
  seed,
  calls: num('CHAOS_CALLS', 200),
  accounts: num('CHAOS_ACCOUNTS', 5),
  callsPerSecond: num('CHAOS_CPS', 5),
  killsPerTarget: num('CHAOS_KILLS', 5),
  intervalMs: [1_000, num('CHAOS_MAX_INTERVAL_MS', 8_000)],
  targets: process.env.CHAOS_TARGETS ? process.env.CHAOS_TARGETS.split(',').map((s) => s.trim()) : undefined,
  keep: process.env.CHAOS_KEEP === '1',
  replicas,
  terminations: num('CHAOS_TERMINATIONS', 5, 0),
  pgOutageSec: num('CHAOS_PG_OUTAGE_SEC', 300, 0),
  pgOutageAfterMs: num('CHAOS_PG_OUTAGE_AFTER_SEC', 10, 0) * 1000,
  payDuringOutage: process.env.CHAOS_PAY_DURING_OUTAGE !== '0',
  holdGraceSec: num('CHAOS_HOLD_GRACE_SEC', 120, 0),
  signal: abort.signal,
}).catch((err) => {
  console.error(`\n${(err as Error).message}`);
  process.exit(abort.signal.aborted ? 130 : 1);
});
const attempts = Object.values(r.report.statuses).reduce((a, b) => a + b, 0);
console.log(
  `\nkills survived: ${r.kills.length} (${Object.entries(r.killsByTarget)
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ')})`,
);
console.log(
  `operator terminations: ${r.terminations.length} (${r.terminations.map((t) => `call ${t.status}`).join(', ') || 'none'})`,
);
console.log(
  `Postgres outage: ${r.pgOutage ? `${r.pgOutage.lengthSec.toFixed(0)} s from ${r.pgOutage.atSec.toFixed(0)} s` : 'none'}`,
);
console.log(`restart time: median ${median(r.kills.map((k) => k.restartedInMs))} ms`);
console.log(
  `attempts: ${attempts} (${Object.entries(r.report.statuses)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')}), campaigns ${r.finished ? 'finished' : 'did NOT finish'} in ${r.elapsedSec.toFixed(1)} s`,
);
console.log(`invariants (${r.report.checks.reduce((n, c) => n + c.checked, 0)} items checked):\n${formatReport(r.report)}`);
if (process.env.CHAOS_KEEP === '1') console.log(`logs kept in ${r.dataDir}/logs`);
const ok = r.finished && r.report.violations === 0;
console.log(
  JSON.stringify({
    bench: 'chaos',
    seed,
    replicas,
    calls: attempts,
    kills: r.kills.length,
    terminations: r.terminations.length,
    pgOutageSec: r.pgOutage ? Math.round(r.pgOutage.lengthSec) : 0,
    killsByTarget: r.killsByTarget,
    elapsedSec: Number(r.elapsedSec.toFixed(1)),
    checked: r.report.checks.reduce((n, c) => n + c.checked, 0),
    violations: r.report.violations,
    ok,
  }),
);
process.exit(ok ? 0 : 1);

function median(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
