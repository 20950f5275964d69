import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { HOLD_SWEEPER_SCHEDULE_ID, type HoldSweepInput } from '../workflows/call/sweeper';

/**
 * Creates the hold sweeper's Schedule, or brings an existing one to this definition: safe at every
 * worker start-up. Overlap SKIP: a slow pass is not joined by a second one.
 */
export async function ensureHoldSweeperSchedule(
  client: Client,
  opts: { taskQueue: string; every?: string; scheduleId?: string; input?: HoldSweepInput },
): Promise<{ scheduleId: string; created: boolean }> {
  const scheduleId = opts.scheduleId ?? HOLD_SWEEPER_SCHEDULE_ID;
  const def = {
    spec: { intervals: [{ every: (opts.every ?? '2 minutes') as '2 minutes' }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'holdSweeperWorkflow',
      workflowId: scheduleId,
      taskQueue: opts.taskQueue,
      args: [opts.input ?? {}],
      workflowExecutionTimeout: '15 minutes',
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '2 minutes' },
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
