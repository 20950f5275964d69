import { Worker, type WorkerOptions } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { connectWorkerToTemporal } from './connection';
import { connectTemporalClient } from '../lib/temporal';
import { drainOnShutdown } from './runtime';
import { loadConfig, type Config } from '../lib/config';
import { createSql } from '../lib/db';
import { createLogger } from '../lib/logger';
import { createActivities } from '../activities';
import { loadPriceList, storePriceList } from '../lib/pricing';
import { WORKFLOWS_PATH } from './workflow-bundle';
import { installRuntimeLogger } from './runtime';
import { setActiveCallsSource, startMetricsServer } from '../lib/metrics';
import { ensureAlertsSchedule } from './alerts-schedule';
import { ensureHoldSweeperSchedule } from './hold-sweeper-schedule';
import { ensureWebhooksSchedule } from './webhooks-schedule';
import { ensureRecordingRetentionSchedule } from './recording-retention-schedule';

/**
 * The orchestrator worker: every workflow, and the activities of the `orchestration` queue.
 * Shuts down gracefully on SIGINT/SIGTERM (the SDK installs the handlers).
 */
export async function createOrchestratorWorker(config: Config, overrides: Partial<WorkerOptions> = {}) {
  const log = createLogger('worker');
  const sql = createSql(config.DATABASE_URL, { max: 20, debugName: 'aicall-worker' });
  // Register the price list in force under its version (no-op when known), so every version named
  // by a call_costs row can be looked up in price_lists.
  await storePriceList(sql, loadPriceList(config.PRICE_LIST_JSON));
  const connection = await connectWorkerToTemporal(config);
  const clientConnection = await connectTemporalClient(config);
  const temporal = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.ORCHESTRATION_TASK_QUEUE,
    workflowsPath: WORKFLOWS_PATH,
    activities: createActivities({ sql, config, log, temporal }),
    ...overrides,
  });
  // Active calls are read from Postgres at scrape time: right whichever worker ran the call.
  setActiveCallsSource(async () => {
    const [r] = await sql<{ n: number }[]>`select count(*)::int as n from calls where not terminal`;
    return r?.n ?? 0;
  });
  return {
    worker,
    log,
    sql,
    temporal,
    async close() {
      await sql.end({ timeout: 5 });
      await clientConnection.close();
      await connection.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = loadConfig();
  installRuntimeLogger(createLogger('temporal-sdk'));
  const orchestrator = await createOrchestratorWorker(config, drainOnShutdown);
  const { worker, log, close } = orchestrator;
  const metrics = await startMetricsServer(config.WORKER_METRICS_PORT);
  log.info({ port: metrics.port }, 'worker metrics at /metrics');
  const { temporal } = orchestrator;
  const schedule = await ensureAlertsSchedule(temporal, { taskQueue: config.ORCHESTRATION_TASK_QUEUE });
  log.info(schedule, 'alerts schedule in place');
  log.info(
    await ensureHoldSweeperSchedule(temporal, { taskQueue: config.ORCHESTRATION_TASK_QUEUE }),
    'hold sweeper schedule in place',
  );
  log.info(
    await ensureWebhooksSchedule(temporal, { taskQueue: config.ORCHESTRATION_TASK_QUEUE }),
    'webhooks sweep schedule in place',
  );
  log.info(
    await ensureRecordingRetentionSchedule(temporal, {
      taskQueue: config.ORCHESTRATION_TASK_QUEUE,
      every: config.RECORDINGS_RETENTION_EVERY,
    }),
    'recording retention schedule in place',
  );
  log.info({ taskQueue: config.ORCHESTRATION_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS }, 'orchestrator worker started');
  await worker.run();
  await metrics.close();
  await close();
  log.info('orchestrator worker stopped');
}
