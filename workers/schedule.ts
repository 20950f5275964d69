import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Duration } from '@temporalio/common';

/** One periodic sweep: a workflow type started every `every` on a task queue. */
export interface IntervalSweep {
  scheduleId: string;
  workflowType: string;
  /** Default: the schedule id. */
  workflowId?: string;
  taskQueue: string;
  args: unknown[];
  every: Duration;
  /** How long one run may take before Temporal ends it. */
  runTimeout: Duration;
  /** How late a missed tick may still start (after a server outage). */
  catchupWindow: Duration;
}

/**
 * Creates the Schedule, or brings an existing one to this definition: safe to call at every worker
 * start-up (every orchestrator does). Overlap SKIP: a sweep still running is not joined by a second.
 */
export async function ensureIntervalSchedule(
  client: Client,
  s: IntervalSweep,
): Promise<{ scheduleId: string; created: boolean }> {
  const def = {
    spec: { intervals: [{ every: s.every }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: s.workflowType,
      workflowId: s.workflowId ?? s.scheduleId,
      taskQueue: s.taskQueue,
      args: s.args,
      workflowExecutionTimeout: s.runTimeout,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: s.catchupWindow },
  } satisfies Omit<ScheduleOptions, 'scheduleId'>;
  try {
    await client.schedule.create({ scheduleId: s.scheduleId, ...def });
    return { scheduleId: s.scheduleId, created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule
      .getHandle(s.scheduleId)
      .update((prev) => ({ ...prev, spec: def.spec, action: def.action, policies: def.policies }));
    return { scheduleId: s.scheduleId, created: false };
  }
}
