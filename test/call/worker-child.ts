/**
 * A call worker in its own process, so a test can SIGKILL it mid-call. Same wiring as the
 * in-process test worker: pre-bundled workflows, call + dialer activities with the real ledger.
 */
import { NativeConnection, Worker, Runtime, DefaultLogger } from '@temporalio/worker';
import { createSql } from '../../lib/db';
import { loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { callActivitiesFromConfig, dialerActivitiesFromConfig } from '../../activities/call';

Runtime.install({ logger: new DefaultLogger('WARN') });
const config = loadConfig();
const log = createLogger('worker-child', 'silent');
const sql = createSql(config.DATABASE_URL, { max: 4 });
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const worker = await Worker.create({
  connection,
  taskQueue: process.env.TASK_QUEUE!,
  workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE! },
  // A dead worker's sticky queue is abandoned quickly, so the replacement gets the next task sooner.
  stickyQueueScheduleToStartTimeout: '1s',
  activities: {
    ...callActivitiesFromConfig({ sql, config, log }),
    ...dialerActivitiesFromConfig({ sql, config, log }),
  },
});
process.stdout.write('ready\n');
await worker.run();
