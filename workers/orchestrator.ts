import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { loadConfig, type Config } from '../lib/config';
import { createSql } from '../lib/db';
import { createLogger } from '../lib/logger';
import { TASK_QUEUES } from '../lib/ids';
import { createActivities } from '../activities';
import { WORKFLOWS_PATH } from './workflow-bundle';
import { installRuntimeLogger } from './runtime';

/**
 * The orchestrator worker: every workflow, and the activities of the `orchestration` queue.
 * Shuts down gracefully on SIGINT/SIGTERM (the SDK installs the handlers).
 */
export async function createOrchestratorWorker(config: Config, overrides: Partial<WorkerOptions> = {}) {
  const log = createLogger('worker');
  const sql = createSql(config.DATABASE_URL, { max: 20, debugName: 'aicall-worker' });
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: TASK_QUEUES.orchestration,
    workflowsPath: WORKFLOWS_PATH,
    activities: createActivities({ sql, config, log }),
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
  installRuntimeLogger(createLogger('temporal-sdk'));
  const { worker, log, close } = await createOrchestratorWorker(config);
  log.info({ taskQueue: TASK_QUEUES.orchestration, temporal: config.TEMPORAL_ADDRESS }, 'orchestrator worker started');
  await worker.run();
  await close();
  log.info('orchestrator worker stopped');
}
