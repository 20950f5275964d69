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
import { HAPROXY_BIN, haproxyAvailable, writeHaproxyConfig } from './haproxy';
import { freePort } from '../../lib/net/free-port';

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
  /** Names of the application processes that `restart` can start again (worker, dialer, media-gateway, api; with replicas worker-1, worker-2, …). */
  restartable: string[];
  /** What each application process is: its kind, and the ports it listens on. */
  instances: Instance[];
  /** Starts `name` again (after it died or was killed) with the same command and environment; resolves when it is ready. */
  restart(name: string): Promise<ManagedProcess>;
  /** SIGTERM `name` and wait until it has drained and exited (SIGKILL only past its drain time). */
  drain(name: string): Promise<void>;
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
  /** N of each application process (API, orchestrator worker, dialer worker, media gateway), HAProxy in front of the APIs and gateways. */
  replicas?: number;
  /** Do not echo child warnings to our stderr (drivers that kill processes on purpose). */
  quiet?: boolean;
}

/** Dev secrets are generated once and kept under .data so restarts keep working tokens and keys. */
function devSecrets(dataDir: string): { ADMIN_API_KEY: string; MEDIA_TOKEN_SECRET: string } {
  const file = path.join(dataDir, 'dev-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const s = {
    ADMIN_API_KEY: `ak_admin_${randomBytes(24).toString('base64url')}`,
    MEDIA_TOKEN_SECRET: randomBytes(32).toString('base64url'),
  };
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
      // The server's own Prometheus metrics, whose `action` counter is what Temporal Cloud bills (npm run load reads it).
      const metricsPort = await freePort();
      const args = [
        'server',
        'start-dev',
        ...db,
        '--metrics-port',
        String(metricsPort),
        '--ip',
        host ?? '127.0.0.1',
        '--port',
        port ?? '7233',
        '--ui-port',
        String(config.TEMPORAL_UI_PORT),
        '--ui-disable-news-fetch',
        '--log-level',
        'warn',
        '--namespace',
        config.TEMPORAL_NAMESPACE,
      ];
      for (const [k, t] of Object.entries(SEARCH_ATTRIBUTE_DEFS)) args.push('--search-attribute', `${k}=${t}`);
      const temporal = startProcess('temporal', temporalCliPath(), args, { logDir });
      processes.push(temporal);
      await waitFor(
        'Temporal dev server',
        httpOk(`http://127.0.0.1:${config.TEMPORAL_UI_PORT}/api/v1/namespaces`),
        60_000,
        temporal.exited,
      );
      await waitFor(
        'Temporal frontend',
        async () => {
          const c = await connectTemporal(config);
          try {
            await c.workflowService.getSystemInfo({});
            return true;
          } finally {
            await c.connection.close();
          }
        },
        30_000,
        temporal.exited,
      );
      urls['Temporal UI'] = `http://localhost:${config.TEMPORAL_UI_PORT}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows`;
      urls['Temporal metrics'] = `http://localhost:${metricsPort}/metrics`;
    }
    urls['Temporal'] = config.TEMPORAL_ADDRESS;

    const env: NodeJS.ProcessEnv = { ...baseEnv };
    const simEntry = tsEntry('sim/server.ts');
    if (Object.values(config.vendors).includes('sim') && existsSync(simEntry)) {
      // sim/server.ts writes the environment that points the adapters at it once it listens.
      const simEnvFile = path.join(dataDir, 'sim-env.json');
      rmSync(simEnvFile, { force: true });
      const sims = startProcess('simulators', process.execPath, ['--import', 'tsx', simEntry], {
        env: { ...env, SIM_ENV_FILE: simEnvFile },
        logDir,
        echo,
      });
      processes.push(sims);
      // The file may be seen half-written on a busy machine: ready when it parses.
      let simEnv: Record<string, string> | undefined;
      await waitFor(
        'vendor simulators',
        async () => !!(simEnv = existsSync(simEnvFile) ? JSON.parse(readFileSync(simEnvFile, 'utf8')) : undefined),
        30_000,
        sims.exited,
      );
      Object.assign(env, simEnv);
    }
    // Twilio and Billplz reach the API and the gateway at these ports: the processes themselves, or
    // HAProxy in front of the replicas.
    env.APP_ORIGIN ??= `http://127.0.0.1:${config.API_PORT}`;
    env.MEDIA_PUBLIC_URL ??= `ws://127.0.0.1:${config.MEDIA_GATEWAY_PORT}`;
    config = loadConfig(env);

    const replicas = opts.replicas ?? 1;
    if (replicas > 1 && !haproxyAvailable())
      throw new Error(`--replicas needs HAProxy at ${HAPROXY_BIN} (bash scripts/setup.sh installs it)`);
    // Nothing balances a single instance: no health check to fail before it stops accepting.
    if (replicas === 1) env.DRAIN_HEALTH_DELAY_MS ??= '0';
    const plan = await instancePlan(config, replicas, existsSync(tsEntry('media-gateway/server.ts')));
    const entries = new Map(plan.map((i) => [i.name, i]));
    const node = (i: Instance) => {
      const p = startProcess(i.name, process.execPath, ['--import', 'tsx', tsEntry(i.rel)], {
        env: { ...env, ...i.env },
        logDir,
        echo,
      });
      const at = processes.findIndex((q) => q.name === i.name);
      if (at >= 0) processes[at] = p;
      else processes.push(p);
      return p;
    };
    const started = plan.map((i) => [i, node(i)] as const);
    if (replicas > 1) {
      const socketPath = path.join(dataDir, 'haproxy.sock');
      const { args } = writeHaproxyConfig(dataDir, {
        apiPort: config.API_PORT,
        mediaPort: config.MEDIA_GATEWAY_PORT,
        apis: plan.filter((i) => i.kind === 'api').map((i) => ({ name: i.name, port: i.port! })),
        gateways: plan.filter((i) => i.kind === 'media-gateway').map((i) => ({ name: i.name, port: i.port! })),
        socketPath,
      });
      processes.push(startProcess('haproxy', HAPROXY_BIN, args, { logDir, echo }));
      urls['HAProxy admin socket'] = socketPath;
    }
    for (const [i, p] of started)
      if (i.readyUrl && i.kind !== 'worker')
        await waitFor(i.name, httpOk(i.readyUrl), 60_000, p.exited, path.join(logDir, `${i.name}.log`));
    await waitFor('API', httpOk(`http://127.0.0.1:${config.API_PORT}/healthz`), 60_000, firstToExit(processes));
    if (plan.some((i) => i.kind === 'media-gateway')) urls['Media gateway'] = `${env.MEDIA_PUBLIC_URL}`;
    urls['API'] = `http://localhost:${config.API_PORT}`;
    urls['API health'] = `http://localhost:${config.API_PORT}/healthz`;
    for (const i of plan) {
      if (i.kind === 'api' && replicas === 1) urls['API metrics'] = `http://localhost:${config.API_PORT}/metrics`;
      else if (i.readyUrl && i.kind !== 'media-gateway')
        urls[`${i.name} metrics`] = i.readyUrl.replace('/healthz', '/metrics').replace('127.0.0.1', 'localhost');
    }

    // The workers are ready when each polls (serves /metrics once its Temporal worker exists) and the
    // orchestration queue has run a workflow end to end (it reads Postgres in an activity).
    for (const [i, p] of started)
      if (i.kind === 'worker') await waitFor(i.name, httpOk(i.readyUrl!), 60_000, p.exited, path.join(logDir, `${i.name}.log`));
    const client = await connectTemporal(config);
    try {
      await Promise.race([
        client.workflow.execute('systemCheckWorkflow', {
          taskQueue: config.ORCHESTRATION_TASK_QUEUE,
          workflowId: `system-check/dev-${Date.now()}`,
          args: [],
          workflowExecutionTimeout: '60s',
        }),
        firstToExit(processes).then((p) =>
          Promise.reject(new Error(`${p.name} exited during start-up (see ${logDir}/${p.name}.log)`)),
        ),
      ]);
    } finally {
      await client.connection.close();
    }

    const firstExit = firstToExit(processes);
    const restart = async (name: string) => {
      const i = entries.get(name);
      if (!i) throw new Error(`no process named ${name} to restart (have ${[...entries.keys()].join(', ')})`);
      const old = processes.find((p) => p.name === name);
      if (old && old.child.exitCode === null && old.child.signalCode === null) throw new Error(`${name} is still running`);
      const p = node(i);
      if (i.readyUrl) await waitFor(name, httpOk(i.readyUrl), 120_000, p.exited);
      else await new Promise((r) => setTimeout(r, 500));
      return p;
    };
    const drain = async (name: string) => {
      const p = processes.find((q) => q.name === name);
      if (!p || !entries.has(name)) throw new Error(`no process named ${name} to drain`);
      await stopProcess(p, graceFor(entries.get(name), config));
    };
    const stopGracefully = async () => {
      // Front to back: the API and the gateways drain (the balancer still forwards what they
      // finish), then the balancer, the workers (they finish their activities), simulators, Temporal.
      const tiers: ((p: ManagedProcess) => boolean)[] = [
        (p) => ['api', 'media-gateway'].includes(entries.get(p.name)?.kind ?? ''),
        (p) => p.name === 'haproxy',
        (p) => entries.has(p.name),
        (p) => p.name === 'simulators',
        () => true,
      ];
      const left = new Set(processes);
      for (const inTier of tiers) {
        const now = [...left].filter(inTier);
        now.forEach((p) => left.delete(p));
        await Promise.all(now.map((p) => stopProcess(p, graceFor(entries.get(p.name), config))));
      }
    };
    return {
      config,
      env,
      urls,
      adminKey: env.ADMIN_API_KEY!,
      processes,
      firstExit,
      restartable: [...entries.keys()],
      instances: plan,
      restart,
      drain,
      stop: stopGracefully,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export type InstanceKind = 'worker' | 'dialer' | 'media-gateway' | 'api';

/** One application process of the stack: what it runs, its own ports, and the URL that says it is up. */
export interface Instance {
  name: string;
  kind: InstanceKind;
  rel: string;
  /** Environment that differs from the stack's (its own listening ports). */
  env: NodeJS.ProcessEnv;
  /** The API's or gateway's own port (behind HAProxy with replicas). */
  port?: number;
  readyUrl?: string;
}

/**
 * One of each process on the configured ports, or with `replicas` > 1 N of each, each on its own
 * free port (named kind-1 … kind-N), the configured API and gateway ports left to HAProxy.
 */
async function instancePlan(config: Config, replicas: number, withGateway: boolean): Promise<Instance[]> {
  const kinds: [InstanceKind, string][] = [
    ['worker', 'workers/orchestrator.ts'],
    ['dialer', 'workers/dialer.ts'],
    ['media-gateway', 'media-gateway/server.ts'],
    ['api', 'api/server.ts'],
  ];
  const out: Instance[] = [];
  for (const [kind, rel] of kinds) {
    if (kind === 'media-gateway' && !withGateway) continue;
    for (let n = 1; n <= replicas; n++) {
      const name = replicas === 1 ? kind : `${kind}-${n}`;
      const own = async (configured: number | undefined) =>
        replicas === 1 && configured !== undefined ? configured : await freePort();
      if (kind === 'worker') {
        const port = await own(config.WORKER_METRICS_PORT);
        out.push({ name, kind, rel, env: { WORKER_METRICS_PORT: String(port) }, readyUrl: `http://127.0.0.1:${port}/metrics` });
      } else if (kind === 'dialer') {
        const port = replicas === 1 ? config.DIALER_METRICS_PORT : await freePort();
        out.push({
          name,
          kind,
          rel,
          env: port === undefined ? {} : { DIALER_METRICS_PORT: String(port) },
          readyUrl: port === undefined ? undefined : `http://127.0.0.1:${port}/metrics`,
        });
      } else if (kind === 'media-gateway') {
        const port = await own(config.MEDIA_GATEWAY_PORT);
        out.push({
          name,
          kind,
          rel,
          port,
          env: { MEDIA_GATEWAY_PORT: String(port) },
          readyUrl: `http://127.0.0.1:${port}/healthz`,
        });
      } else {
        const port = await own(config.API_PORT);
        out.push({ name, kind, rel, port, env: { API_PORT: String(port) }, readyUrl: `http://127.0.0.1:${port}/healthz` });
      }
    }
  }
  return out;
}

/** How long a stop waits for a process's own drain before SIGKILL. */
function graceFor(i: Instance | undefined, config: Config): number {
  if (i?.kind === 'media-gateway') return config.DRAIN_HEALTH_DELAY_MS + config.MEDIA_DRAIN_LIMIT_SEC * 1000 + 15_000;
  if (i?.kind === 'api') return config.DRAIN_HEALTH_DELAY_MS + config.API_DRAIN_TIMEOUT_MS + 5_000;
  // Workers finish their activities (Worker.shutdown waits for them; dial and settle take seconds).
  if (i) return 35_000;
  return 8_000;
}

function firstToExit(ps: ManagedProcess[]): Promise<ManagedProcess> {
  return Promise.race(ps.map((p) => p.exited.then(() => p)));
}
