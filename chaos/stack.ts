import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { createSql, withDatabase, type Sql } from '../lib/db';
import { dropDatabase } from '../lib/migrate';
import { freePort } from '../lib/net/free-port';
import { connectTemporal } from '../lib/temporal';
import { startStack, type Stack } from '../scripts/dev/stack';
import { SimControl } from './sim-control';
import { startPgProxy, type PgProxy } from './pg-proxy';

export interface ChaosStack {
  stack: Stack;
  apiUrl: string;
  adminKey: string;
  sql: Sql;
  temporal: Client;
  twilio: SimControl;
  databaseUrl: string;
  dataDir: string;
  /** With `pgProxy`: the TCP proxy every stack process reaches Postgres through (the driver's own pool does not). */
  pg?: PgProxy;
  close(): Promise<void>;
}

export interface ChaosStackOptions {
  /** Postgres server (any database on it); a fresh database is created there and dropped on close. */
  databaseServerUrl?: string;
  /** Extra environment for every process (e.g. DIALER_CALLS_PER_SECOND). */
  env?: NodeJS.ProcessEnv;
  /** Keep the database and data directory (logs) after close, for a post-mortem. */
  keep?: boolean;
  /** Temporal keeps its state in memory (the load run: SQLite's writes are not what it measures). */
  temporalInMemory?: boolean;
  /** N of each application process behind HAProxy (scripts/dev/stack.ts). */
  replicas?: number;
  /** Put a TCP proxy between the stack and Postgres that the run can cut (chaos/pg-proxy.ts). */
  pgProxy?: boolean;
  log?: (line: string) => void;
}

/**
 * The `npm run dev` stack — its own Temporal dev server, simulators, orchestrator worker, dialer,
 * media gateway (when present) and API, each a separate process — on free ports, a fresh database
 * and a temporary data directory, so it can run beside a developer's stack and the test suite.
 */
export async function startChaosStack(opts: ChaosStackOptions = {}): Promise<ChaosStack> {
  const server = opts.databaseServerUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const databaseUrl = withDatabase(server, `aicall_chaos_${Date.now()}_${randomUUID().slice(0, 6)}`);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'aicall-chaos-'));
  const names = [
    'TEMPORAL',
    'TEMPORAL_UI_PORT',
    'API_PORT',
    'MEDIA_GATEWAY_PORT',
    'WORKER_METRICS_PORT',
    'SIM_TWILIO_PORT',
    'SIM_BILLPLZ_PORT',
    'SIM_AZURE_SPEECH_PORT',
    'SIM_OPENROUTER_PORT',
    'SIM_ELEVENLABS_PORT',
    'DIALER_METRICS_PORT',
  ] as const;
  const ports = Object.fromEntries(await Promise.all(names.map(async (n) => [n, String(await freePort())] as const)));
  const server0 = new URL(databaseUrl);
  const pg = opts.pgProxy ? await startPgProxy({ host: server0.hostname, port: Number(server0.port || 5432) }) : undefined;
  const stackDatabaseUrl = pg
    ? Object.assign(new URL(databaseUrl), { hostname: '127.0.0.1', port: String(pg.port) }).toString()
    : databaseUrl;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: stackDatabaseUrl,
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.TEMPORAL}`,
    TEMPORAL_DEV_SERVER: '1',
    ...Object.fromEntries(names.filter((n) => n !== 'TEMPORAL').map((n) => [n, ports[n]])),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    // Drivers make many requests per key; the per-key limit is tested elsewhere.
    API_RATE_LIMIT_PER_SEC: '1000',
    API_RATE_LIMIT_BURST: '2000',
    // No WAV per call under the working directory.
    SIM_RECORDINGS_DIR: 'off',
    ...opts.env,
  };
  // Start with the real scripts/dev/stack.ts: what is proven here is what `npm run dev` runs.
  const stack = await startStack({
    env,
    dataDir,
    quiet: true,
    temporalInMemory: opts.temporalInMemory,
    replicas: opts.replicas,
    log: opts.log ?? (() => {}),
  }).catch(async (err) => {
    await pg?.close();
    throw err;
  });
  const sql = createSql(databaseUrl, { max: 5, debugName: 'aicall-chaos-driver' });
  const temporal = await connectTemporal(stack.config);
  const twilio = new SimControl(stack.env.TWILIO_API_BASE!);
  return {
    stack,
    apiUrl: `http://127.0.0.1:${stack.config.API_PORT}`,
    adminKey: stack.adminKey,
    sql,
    temporal,
    twilio,
    databaseUrl,
    dataDir,
    pg,
    async close() {
      await temporal.connection.close().catch(() => {});
      await sql.end({ timeout: 2 }).catch(() => {});
      await pg?.restore();
      await stack.stop();
      await pg?.close();
      if (!opts.keep) {
        await dropDatabase(databaseUrl).catch(() => {});
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}
