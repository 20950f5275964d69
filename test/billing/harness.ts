import { randomUUID } from 'node:crypto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { testContext, testLogger, type TestContext } from '../helpers/env';
import { startTestApi } from '../helpers/api';
import { startBillplzSim, type PayOptions } from '../../sim/billplz/server';
import { createLedgerActivities } from '../../activities/ledger';
import { createTopUpActivities } from '../../activities/topup';
import { createBillplzGateway } from '../../providers/billplz/adapter';
import { billplzSettings } from '../../providers/billplz/settings';
import { loadConfig } from '../../lib/config';

/**
 * API + Billplz simulator + a worker running the top-up workflow on a queue of its own, wired as in
 * production: the simulator calls the API's webhook, the API signals the workflow.
 */
export async function startBillingStack(
  opts: { ttlSec?: number; autoPay?: PayOptions; rate?: { perSec: number; burst: number } } = {},
) {
  const ctx: TestContext = await testContext();
  const taskQueue = `billing-${randomUUID()}`;
  const sim = await startBillplzSim({ autoPay: opts.autoPay });
  const config = loadConfig({
    DATABASE_URL: ctx.databaseUrl,
    TEMPORAL_ADDRESS: ctx.temporalAddress,
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    BILLPLZ_BASE_URL: sim.url,
    ORCHESTRATION_TASK_QUEUE: taskQueue,
    TOPUP_TTL_SEC: String(opts.ttlSec ?? 3600),
    ADMIN_API_KEY: 'ak_admin_test_key_for_billing_tests_only',
    API_RATE_LIMIT_PER_SEC: String(opts.rate?.perSec ?? 1000),
    API_RATE_LIMIT_BURST: String(opts.rate?.burst ?? 1000),
  } as NodeJS.ProcessEnv);
  const api = await startTestApi(ctx, config);
  const connection = await NativeConnection.connect({ address: ctx.temporalAddress });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: {
      ...createLedgerActivities(ctx.sql),
      ...createTopUpActivities({
        sql: ctx.sql,
        log: testLogger(),
        gateway: createBillplzGateway(billplzSettings(config)),
        appOrigin: api.url,
        temporal: ctx.client,
      }),
    },
  });
  const running = worker.run();
  return {
    ctx,
    sim,
    api,
    config,
    async close() {
      worker.shutdown();
      await running;
      await connection.close();
      await api.close();
      await sim.close();
    },
  };
}

export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  do {
    last = await fn();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  } while (Date.now() < deadline);
  throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
}
