import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, isPortFree } from '../../lib/net/free-port';
import { loadConfig } from '../../lib/config';
import { withDatabase } from '../../lib/db';

export interface DemoOptions {
  callees: number;
  /** Stop the stack and exit once the report is printed (CI); otherwise stay up until Ctrl-C. */
  exit: boolean;
  maxConcurrentCalls: number;
  /** Campaign time limit before the demo gives up. */
  timeoutSec: number;
}

export const USAGE = `usage: npm run demo [-- --callees N] [--exit] [--concurrency N]

  --callees N      simulated callees in the campaign (default 20, env DEMO_CALLEES)
  --concurrency N  calls in flight at most (default 10)
  --exit           stop everything once the report is printed (env DEMO_EXIT=1); by default the
                   stack stays up for the Temporal UI and the API until Ctrl-C`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): DemoOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      callees: { type: 'string' },
      exit: { type: 'boolean' },
      concurrency: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name: string, raw: string | undefined, def: number, min: number, max: number) => {
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`${name} must be an integer from ${min} to ${max} (got ${raw})\n\n${USAGE}`);
    return n;
  };
  return {
    callees: int('--callees', values.callees ?? env.DEMO_CALLEES, 20, 1, 200),
    exit: values.exit === true || env.DEMO_EXIT === '1' || env.DEMO_EXIT === 'true',
    maxConcurrentCalls: int('--concurrency', values.concurrency, 10, 1, 50),
    timeoutSec: 300,
  };
}

/** The stack's ports with their usual defaults (lib/config.ts, sim/server.ts). */
const PORTS: [string, number][] = [
  ['TEMPORAL_UI_PORT', 8233],
  ['API_PORT', 3000],
  ['MEDIA_GATEWAY_PORT', 3001],
  ['WORKER_METRICS_PORT', 9464],
  ['SIM_TWILIO_PORT', 3010],
  ['SIM_AZURE_SPEECH_PORT', 3011],
  ['SIM_OPENROUTER_PORT', 3012],
  ['SIM_ELEVENLABS_PORT', 3013],
  ['SIM_BILLPLZ_PORT', 3014],
];

/**
 * The environment the demo's stack runs with. Ports the user did not set keep their usual numbers
 * when free (so the Temporal UI is on :8233 as the README says) and move to a free port when not,
 * e.g. beside a running `npm run dev`. Without DATABASE_URL the demo gets a database of its own
 * (aicall_demo) on the local server, so it never mixes with the development data.
 */
export async function demoEnvironment(env: NodeJS.ProcessEnv): Promise<{ env: NodeJS.ProcessEnv; moved: string[] }> {
  const out: NodeJS.ProcessEnv = { ...env };
  const moved: string[] = [];
  const taken = new Set<number>();
  const pick = async (name: string, def: number) => {
    let port = def;
    if (taken.has(port) || !(await isPortFree(port))) {
      do port = await freePort();
      while (taken.has(port));
      moved.push(`${name} ${def}→${port}`);
    }
    taken.add(port);
    return port;
  };
  const ownTemporal = env.TEMPORAL_DEV_SERVER ? env.TEMPORAL_DEV_SERVER === '1' : !env.TEMPORAL_ADDRESS;
  if (ownTemporal && !env.TEMPORAL_ADDRESS) {
    out.TEMPORAL_ADDRESS = `127.0.0.1:${await pick('TEMPORAL_ADDRESS', 7233)}`;
    // Set explicitly: with TEMPORAL_ADDRESS set the stack would otherwise expect an external server.
    out.TEMPORAL_DEV_SERVER = '1';
  }
  for (const [name, def] of PORTS) {
    if (env[name]) taken.add(Number(env[name]));
    else out[name] = String(await pick(name, def));
  }
  if (!env.DATABASE_URL) out.DATABASE_URL = withDatabase(loadConfig({}).DATABASE_URL, 'aicall_demo');
  // Dialing is rate-limited per Twilio account (1/s by default); the simulator takes more.
  out.DIALER_CALLS_PER_SECOND ??= '5';
  return { env: out, moved };
}

/** The demo's own directory beside the dev stack's: Temporal database, secrets, logs, recordings. */
export const demoDataDir = (root: string, env: NodeJS.ProcessEnv) =>
  path.join(env.AICALL_DATA_DIR ?? path.join(root, '.data'), 'demo');
