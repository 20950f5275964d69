import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { RECORDING_RETENTION_SCHEDULE_ID } from '../workflows/recordings/contract';

/**
 * Creates the recording-retention Schedule, or brings an existing one to this definition: safe at
 * every worker start-up. Overlap SKIP: a sweep still deleting is not joined by a second.
 */
export async function ensureRecordingRetentionSchedule(
  client: Client,
  opts: { taskQueue: string; every?: string; scheduleId?: string },
): Promise<{ scheduleId: string; created: boolean }> {
  const scheduleId = opts.scheduleId ?? RECORDING_RETENTION_SCHEDULE_ID;
  const def = {
    spec: { intervals: [{ every: (opts.every ?? '1 hour') as '1 hour' }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'recordingRetentionWorkflow',
      workflowId: scheduleId,
      taskQueue: opts.taskQueue,
      args: [{}],
      workflowExecutionTimeout: '1 hour',
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
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
