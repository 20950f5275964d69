import { startStack } from './dev/stack';

/** `npm run dev`: the whole stack in one command; Ctrl-C stops every process it started. */
const started = Date.now();
let stack;
try {
  stack = await startStack();
} catch (err) {
  console.error(`\n${(err as Error).message}`);
  process.exit(1);
}
const width = Math.max(...Object.keys(stack.urls).map((k) => k.length));
console.log(`\naicall is up in ${((Date.now() - started) / 1000).toFixed(1)}s (logs in .data/logs/)\n`);
for (const [name, url] of Object.entries(stack.urls)) console.log(`  ${name.padEnd(width)}  ${url}`);
console.log(`  ${'Admin API key'.padEnd(width)}  ${stack.adminKey}  (from .data/dev-secrets.json)`);
console.log('\nCtrl-C stops everything.');

let stopping = false;
const shutdown = async (why: string, code: number) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${why}: stopping…`);
  await stack.stop();
  console.log('stopped.');
  process.exit(code);
};
process.on('SIGINT', () => void shutdown('Ctrl-C', 0));
process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
if (process.env.DEV_EXIT_AFTER_READY) void shutdown('DEV_EXIT_AFTER_READY set', 0);
const dead = await stack.firstExit;
await shutdown(`${dead.name} exited unexpectedly (see .data/logs/${dead.name}.log)`, 1);
