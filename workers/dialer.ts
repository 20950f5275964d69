import { Worker, type WorkerOptions } from '@temporalio/worker';
import { connectWorkerToTemporal } from './connection';
import { drainOnShutdown } from './runtime';
import { loadConfig, type Config } from '../lib/config';
import { createSql } from '../lib/db';
import { createLogger } from '../lib/logger';
import { dialerActivitiesFromConfig } from '../activities/call';
import { startMetricsServer } from '../lib/metrics';

/**
 * Options every worker of the `dialer` queue must share: the server enforces
 * maxTaskQueueActivitiesPerSecond for the whole queue (design: Temporal practice), so it is the
 * account-wide Twilio calls-per-second budget. Activities only; eager dispatch is also refused by
 * the workflow's dial proxy (allowEagerDispatch: false).
 */
export function dialerWorkerOptions(
  config: Pick<Config, 'DIALER_CALLS_PER_SECOND' | 'DIALER_TASK_QUEUE'>,
): Pick<WorkerOptions, 'taskQueue' | 'maxTaskQueueActivitiesPerSecond' | 'maxEagerActivityReservationsPerWorkflowTask'> {
  return {
    taskQueue: config.DIALER_TASK_QUEUE,
    maxTaskQueueActivitiesPerSecond: config.DIALER_CALLS_PER_SECOND,
    maxEagerActivityReservationsPerWorkflowTask: 0,
  };
}

export async function createDialerWorker(config: Config, overrides: Partial<WorkerOptions> = {}) {
  const log = createLogger('dialer');
  const sql = createSql(config.DATABASE_URL, { max: 5, debugName: 'aicall-dialer' });
  const connection = await connectWorkerToTemporal(config);
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    ...dialerWorkerOptions(config),
    activities: dialerActivitiesFromConfig({ sql, config, log }),
    ...overrides,
  });
  return {
    worker,
    log,
    async close() {
      await sql.end({ timeout: 5 });
      await connection.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = loadConfig();
  const { worker, log, close } = await createDialerWorker(config, drainOnShutdown);
  const metrics = config.DIALER_METRICS_PORT === undefined ? undefined : await startMetricsServer(config.DIALER_METRICS_PORT);
  if (metrics) log.info({ port: metrics.port }, 'dialer metrics at /metrics');
  log.info({ taskQueue: config.DIALER_TASK_QUEUE, callsPerSecond: config.DIALER_CALLS_PER_SECOND }, 'dialer worker started');
  await worker.run();
  await metrics?.close();
  await close();
  log.info('dialer worker stopped');
}
