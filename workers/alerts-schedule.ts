import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { ALERTS_SCHEDULE_ID, ALERTS_WORKFLOW_ID, type AlertsSweepInput } from '../workflows/alerts/contract';

/**
 * Creates the alerts Schedule, or brings an existing one to this definition: safe to call at every
 * worker start-up. Overlap SKIP: a sweep still running (slow webhook) is not joined by a second.
 */
export async function ensureAlertsSchedule(
  client: Client,
  opts: { taskQueue: string; every?: string; scheduleId?: string; input?: AlertsSweepInput },
): Promise<{ scheduleId: string; created: boolean }> {
  const scheduleId = opts.scheduleId ?? ALERTS_SCHEDULE_ID;
  const def = {
    spec: { intervals: [{ every: (opts.every ?? '1 minute') as '1 minute' }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'alertsSweepWorkflow',
      workflowId: scheduleId === ALERTS_SCHEDULE_ID ? ALERTS_WORKFLOW_ID : scheduleId,
      taskQueue: opts.taskQueue,
      args: [opts.input ?? {}],
      workflowExecutionTimeout: '10 minutes',
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
  } satisfies Omit<ScheduleOptions, 'scheduleId'>;
  try {
    await client.schedule.create({ scheduleId, ...def });
    return { scheduleId, created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule
      .getHandle(scheduleId)
      .update((prev) => ({ ...prev, spec: def.spec, action: def.action, policies: def.policies }));
    return { scheduleId, created: false };
  }
}
