import { inject, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, Runtime, DefaultLogger, type WorkerOptions } from '@temporalio/worker';
import { createSql, type Sql } from '../../lib/db';
import { loadConfig, type Config } from '../../lib/config';
import { createLogger } from '../../lib/logger';

let quietRuntime = false;
function installQuietRuntime() {
  if (quietRuntime) return;
  quietRuntime = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by another helper in this process
  }
}

export interface TestContext {
  databaseUrl: string;
  temporalAddress: string;
  sql: Sql;
  client: Client;
  config: Config;
}

let shared: Promise<TestContext> | undefined;

/**
 * Per test file: a pool on the run's test database and a Temporal client on the run's server.
 * Closed after the file's tests.
 */
export function testContext(env: Record<string, string> = {}): Promise<TestContext> {
  if (shared) return shared;
  const databaseUrl = inject('databaseUrl');
  const temporalAddress = inject('temporalAddress');
  shared = (async () => {
    const sql = createSql(databaseUrl, { max: 10, debugName: 'aicall-test' });
    const connection = await Connection.connect({ address: temporalAddress });
    const client = new Client({ connection });
    const config = loadConfig({
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
      ...env,
    } as NodeJS.ProcessEnv);
    return { databaseUrl, temporalAddress, sql, client, config };
  })();
  afterAll(async () => {
    const ctx = await shared!;
    shared = undefined;
    await ctx.sql.end({ timeout: 5 });
    await ctx.client.connection.close();
  });
  return shared;
}

export const testLogger = () => createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

/**
 * Runs `fn` while a real Worker (the run's pre-bundled workflows, the given activities) polls a
 * unique task queue on the run's Temporal server. Returns fn's result; the worker is shut down after.
 */
export async function withWorker<T>(
  opts: Omit<Partial<WorkerOptions>, 'connection'> & { activities?: object },
  fn: (taskQueue: string) => Promise<T>,
): Promise<T> {
  installQuietRuntime();
  const taskQueue = opts.taskQueue ?? `test-${randomUUID()}`;
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  try {
    const worker = await Worker.create({
      workflowBundle: { codePath: inject('workflowBundlePath') },
      ...opts,
      connection,
      taskQueue,
    });
    return await worker.runUntil(fn(taskQueue));
  } finally {
    await connection.close();
  }
}
