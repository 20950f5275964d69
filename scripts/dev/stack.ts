import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { loadConfig, type Config } from '../../lib/config';
import { ensureDatabase, migrate } from '../../lib/migrate';
import { connectTemporal } from '../../lib/temporal';
import { temporalCliPath } from '../../lib/temporal-bin';
import { SEARCH_ATTRIBUTE_DEFS } from '../../lib/search-attributes';
import { checkPostgres } from './postgres';
import { httpOk, startProcess, stopProcess, waitFor, type ManagedProcess } from './processes';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// AICALL_DATA_DIR lets tests run a second stack beside a developer's.
export const DATA_DIR = process.env.AICALL_DATA_DIR ?? path.join(ROOT, '.data');
export const ROOT_DIR = ROOT;

export interface Stack {
  config: Config;
  env: NodeJS.ProcessEnv;
  urls: Record<string, string>;
  adminKey: string;
  processes: ManagedProcess[];
  /** Resolves with the first process that exits on its own (of those started by startStack). */
  firstExit: Promise<ManagedProcess>;
  /** Names of the application processes that `restart` can start again (worker, dialer, media-gateway, api). */
  restartable: string[];
  /** Starts `name` again (after it died or was killed) with the same command and environment; resolves when it is ready. */
  restart(name: string): Promise<ManagedProcess>;
  stop(): Promise<void>;
}

export interface StackOptions {
  log?: (line: string) => void;
  /** The environment the stack is configured from and its processes inherit (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where logs, the Temporal SQLite file and dev secrets go (default DATA_DIR). */
  dataDir?: string;
  /** Temporal dev server without its SQLite file (faster; nothing survives a restart of the server). */
  temporalInMemory?: boolean;
  /** Do not echo child warnings to our stderr (drivers that kill processes on purpose). */
  quiet?: boolean;
}

/** Dev secrets are generated once and kept under .data so restarts keep working tokens and keys. */
function devSecrets(dataDir: string): { ADMIN_API_KEY: string; MEDIA_TOKEN_SECRET: string } {
  const file = path.join(dataDir, 'dev-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const s = { ADMIN_API_KEY: `ak_admin_${randomBytes(24).toString('base64url')}`, MEDIA_TOKEN_SECRET: randomBytes(32).toString('base64url') };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(s, null, 2), { mode: 0o600 });
  return s;
}

const tsEntry = (rel: string) => path.join(ROOT, rel);

/**
 * Brings up the whole stack on embedded defaults: Temporal dev server (SQLite under .data, Web UI,
 * search attributes registered), the database (created and migrated), the vendor simulators for
 * every vendor without credentials, the orchestrator and dialer workers, the media gateway and the
 * API. Each process logs to <dataDir>/logs/<name>.log.
 *
 * `dataDir` (default DATA_DIR) holds the Temporal database, secrets and logs; `env` (default
 * process.env) is the environment the stack is configured from and its processes inherit.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const say = opts.log ?? ((l: string) => console.log(l));
  const dataDir = opts.dataDir ?? DATA_DIR;
  const logDir = path.join(dataDir, 'logs');
  const echo = !opts.quiet;
  const secrets = devSecrets(dataDir);
  const baseEnv: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  for (const [k, v] of Object.entries(secrets)) baseEnv[k] ??= v;
  // The gateway's call recordings (and the API that serves them) live with the stack's other data.
  baseEnv.RECORDINGS_DIR ??= path.join(dataDir, 'call-recordings');
  // Start a dev server unless the user points at their own Temporal (TEMPORAL_DEV_SERVER=1 forces it).
  const startTemporal = baseEnv.TEMPORAL_DEV_SERVER ? baseEnv.TEMPORAL_DEV_SERVER === '1' : !baseEnv.TEMPORAL_ADDRESS;
  let config = loadConfig(baseEnv);
  const processes: ManagedProcess[] = [];
  const stop = async () => {
    for (const p of [...processes].reverse()) await stopProcess(p);
  };

  try {
    await checkPostgres(config.DATABASE_URL);
    if (await ensureDatabase(config.DATABASE_URL)) say(`created database ${new URL(config.DATABASE_URL).pathname.slice(1)}`);
    const applied = await migrate(config.DATABASE_URL);
    say(applied.length ? `migrated: ${applied.map((m) => m.name).join(', ')}` : 'database schema up to date');

    const urls: Record<string, string> = {};
    if (startTemporal) {
      const [host, port] = config.TEMPORAL_ADDRESS.split(':');
      const db = opts.temporalInMemory ? [] : ['--db-filename', path.join(dataDir, 'temporal.sqlite')];
      const args = ['server', 'start-dev', ...db, '--ip', host ?? '127.0.0.1', '--port', port ?? '7233',
        '--ui-port', String(config.TEMPORAL_UI_PORT), '--ui-disable-news-fetch', '--log-level', 'warn', '--namespace', config.TEMPORAL_NAMESPACE];
      for (const [k, t] of Object.entries(SEARCH_ATTRIBUTE_DEFS)) args.push('--search-attribute', `${k}=${t}`);
      const temporal = startProcess('temporal', temporalCliPath(), args, { logDir });
      processes.push(temporal);
      await waitFor('Temporal dev server', httpOk(`http://127.0.0.1:${config.TEMPORAL_UI_PORT}/api/v1/namespaces`), 60_000, temporal.exited);
      await waitFor('Temporal frontend', async () => {
        const c = await connectTemporal(config);
        try {
          await c.workflowService.getSystemInfo({});
          return true;
        } finally {
          await c.connection.close();
        }
      }, 30_000, temporal.exited);
      urls['Temporal UI'] = `http://localhost:${config.TEMPORAL_UI_PORT}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows`;
    }
    urls['Temporal'] = config.TEMPORAL_ADDRESS;

    const env: NodeJS.ProcessEnv = { ...baseEnv };
    const simEntry = tsEntry('sim/server.ts');
    if (Object.values(config.vendors).includes('sim') && existsSync(simEntry)) {
      // sim/server.ts writes the environment that points the adapters at it once it listens.
      const simEnvFile = path.join(dataDir, 'sim-env.json');
      rmSync(simEnvFile, { force: true });
      const sims = startProcess('simulators', process.execPath, ['--import', 'tsx', simEntry], { env: { ...env, SIM_ENV_FILE: simEnvFile }, logDir, echo });
      processes.push(sims);
      await waitFor('vendor simulators', async () => existsSync(simEnvFile), 30_000, sims.exited);
      Object.assign(env, JSON.parse(readFileSync(simEnvFile, 'utf8')));
    }
    env.APP_ORIGIN ??= `http://127.0.0.1:${config.API_PORT}`;
    env.MEDIA_PUBLIC_URL ??= `ws://127.0.0.1:${config.MEDIA_GATEWAY_PORT}`;
    config = loadConfig(env);

    const entries = new Map<string, string>();
    const node = (name: string, rel: string) => {
      entries.set(name, rel);
      const p = startProcess(name, process.execPath, ['--import', 'tsx', tsEntry(rel)], { env, logDir, echo });
      const i = processes.findIndex((q) => q.name === name);
      if (i >= 0) processes[i] = p;
      else processes.push(p);
      return p;
    };
    const worker = node('worker', 'workers/orchestrator.ts');
    if (existsSync(tsEntry('workers/dialer.ts'))) node('dialer', 'workers/dialer.ts');
    if (existsSync(tsEntry('media-gateway/server.ts'))) {
      const gw = node('media-gateway', 'media-gateway/server.ts');
      urls['Media gateway'] = `${env.MEDIA_PUBLIC_URL}`;
      void gw;
    }
    const api = node('api', 'api/server.ts');
    await waitFor('API', httpOk(`http://127.0.0.1:${config.API_PORT}/healthz`), 60_000, api.exited);
    urls['API'] = `http://localhost:${config.API_PORT}`;
    urls['API health'] = `http://localhost:${config.API_PORT}/healthz`;
    urls['API metrics'] = `http://localhost:${config.API_PORT}/metrics`;
    urls['Worker metrics'] = `http://localhost:${config.WORKER_METRICS_PORT}/metrics`;

    // The worker is ready when it has run a workflow end to end (it reads Postgres in an activity).
    const client = await connectTemporal(config);
    try {
      await Promise.race([
        client.workflow.execute('systemCheckWorkflow', { taskQueue: 'orchestration', workflowId: `system-check/dev-${Date.now()}`, args: [], workflowExecutionTimeout: '60s' }),
        worker.exited.then(() => Promise.reject(new Error('worker exited during start-up (see .data/logs/worker.log)'))),
      ]);
    } finally {
      await client.connection.close();
    }

    const firstExit = Promise.race(processes.map((p) => p.exited.then(() => p)));
    // What "ready" means for a process started again: it answers on its HTTP port (the workers serve
    // /metrics once their Temporal worker exists); a process without one is given a moment.
    const probe = (what: string, url: string) => (p: ManagedProcess) => waitFor(what, httpOk(url), 120_000, p.exited);
    const ready: Record<string, (p: ManagedProcess) => Promise<void>> = {
      api: probe('API', `http://127.0.0.1:${config.API_PORT}/healthz`),
      worker: probe('worker', `http://127.0.0.1:${config.WORKER_METRICS_PORT}/metrics`),
      ...(config.DIALER_METRICS_PORT ? { dialer: probe('dialer', `http://127.0.0.1:${config.DIALER_METRICS_PORT}/metrics`) } : {}),
    };
    const restart = async (name: string) => {
      const rel = entries.get(name);
      if (!rel) throw new Error(`no process named ${name} to restart (have ${[...entries.keys()].join(', ')})`);
      const old = processes.find((p) => p.name === name);
      if (old && old.child.exitCode === null && old.child.signalCode === null) throw new Error(`${name} is still running`);
      const p = node(name, rel);
      await (ready[name]?.(p) ?? new Promise((r) => setTimeout(r, 500)));
      return p;
    };
    return { config, env, urls, adminKey: env.ADMIN_API_KEY!, processes, firstExit, restartable: [...entries.keys()], restart, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
