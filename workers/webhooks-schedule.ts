import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { WEBHOOKS_SWEEP_SCHEDULE_ID } from '../lib/webhooks/contract';

/** Creates the webhooks sweep Schedule or brings it to this definition; safe at every worker start. */
export async function ensureWebhooksSchedule(
  client: Client,
  opts: { taskQueue: string },
): Promise<{ scheduleId: string; created: boolean }> {
  const scheduleId = WEBHOOKS_SWEEP_SCHEDULE_ID;
  const def = {
    spec: { intervals: [{ every: '1 minute' as const }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: 'webhooksSweepWorkflow',
      workflowId: scheduleId,
      taskQueue: opts.taskQueue,
      args: [],
      workflowExecutionTimeout: '5 minutes' as const,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' as const },
  };
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
