import type { Client } from '@temporalio/client';
import { ALERTS_SCHEDULE_ID, ALERTS_WORKFLOW_ID, type AlertsSweepInput } from '../workflows/alerts/contract';
import { ensureIntervalSchedule } from './schedule';

/** The alerts sweep, every minute by default (a slow webhook never makes two sweeps overlap). */
export function ensureAlertsSchedule(
  client: Client,
  opts: { taskQueue: string; every?: string; scheduleId?: string; input?: AlertsSweepInput },
): Promise<{ scheduleId: string; created: boolean }> {
  const scheduleId = opts.scheduleId ?? ALERTS_SCHEDULE_ID;
  return ensureIntervalSchedule(client, {
    scheduleId,
    workflowType: 'alertsSweepWorkflow',
    workflowId: scheduleId === ALERTS_SCHEDULE_ID ? ALERTS_WORKFLOW_ID : scheduleId,
    taskQueue: opts.taskQueue,
    args: [opts.input ?? {}],
    every: (opts.every ?? '1 minute') as '1 minute',
    runTimeout: '10 minutes',
    catchupWindow: '1 minute',
  });
}
