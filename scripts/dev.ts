import path from 'node:path';
import { DATA_DIR, startStack, type Stack } from './dev/stack';
import { stopOnSignals } from './dev/processes';

/**
 * `npm run dev`: the whole stack in one command; Ctrl-C (or SIGTERM) stops every process it
 * started, at any moment: the handlers are in place before the first process starts.
 */
let stack: Stack | undefined;
let stopping = false;
const stopStack = async (why: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${why}: stopping…`);
  await stack?.stop();
  console.log('stopped.');
};
stopOnSignals(stopStack);

const started = Date.now();
try {
  stack = await startStack({ replicas: replicasFrom(process.argv.slice(2)) });
} catch (err) {
  if (stopping) await new Promise(() => {}); // the signal handler is stopping everything and exits
  console.error(`\n${(err as Error).message}`);
  process.exit(1);
}
const width = Math.max(...Object.keys(stack.urls).map((k) => k.length));
console.log(
  `\naicall is up in ${((Date.now() - started) / 1000).toFixed(1)}s (logs in ${path.relative(process.cwd(), path.join(DATA_DIR, 'logs')) || '.'}/)\n`,
);
for (const [name, url] of Object.entries(stack.urls)) console.log(`  ${name.padEnd(width)}  ${url}`);
console.log(`  ${'Admin API key'.padEnd(width)}  ${stack.adminKey}  (from .data/dev-secrets.json)`);
console.log('\nCtrl-C stops everything.');

if (process.env.DEV_EXIT_AFTER_READY) {
  await stopStack('DEV_EXIT_AFTER_READY set');
  process.exit(0);
}
const dead = await stack.firstExit;
if (!stopping) {
  await stopStack(`${dead.name} exited unexpectedly (see ${path.join(DATA_DIR, 'logs', `${dead.name}.log`)})`);
  process.exit(1);
}

/** `--replicas N` (or REPLICAS=N): N of each application process behind HAProxy. */
function replicasFrom(args: string[]): number {
  const i = args.findIndex((a) => a === '--replicas' || a.startsWith('--replicas='));
  const raw = i < 0 ? process.env.REPLICAS : args[i]!.includes('=') ? args[i]!.split('=')[1] : args[i + 1];
  const n = raw === undefined ? 1 : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 8) {
    console.error(`--replicas must be a whole number from 1 to 8 (got ${raw})`);
    process.exit(2);
  }
  return n;
}
