import { proxyActivities } from '@temporalio/workflow';
import type { SystemActivities } from '../activities/system';

const { databaseTime } = proxyActivities<SystemActivities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 } });

/**
 * End-to-end probe of the worker path: a workflow that runs an activity which reads Postgres.
 * Used by the smoke test and by `npm run dev` to confirm the stack is wired before it reports ready.
 */
export async function systemCheckWorkflow(): Promise<{ databaseTime: string }> {
  return { databaseTime: await databaseTime() };
}
