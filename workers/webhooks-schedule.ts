import type { Client } from '@temporalio/client';
import { WEBHOOKS_SWEEP_SCHEDULE_ID } from '../lib/webhooks/contract';
import { ensureIntervalSchedule } from './schedule';

/** The webhooks sweep (restarts deliveries whose start was lost), every minute. */
export function ensureWebhooksSchedule(
  client: Client,
  opts: { taskQueue: string },
): Promise<{ scheduleId: string; created: boolean }> {
  return ensureIntervalSchedule(client, {
    scheduleId: WEBHOOKS_SWEEP_SCHEDULE_ID,
    workflowType: 'webhooksSweepWorkflow',
    taskQueue: opts.taskQueue,
    args: [],
    every: '1 minute',
    runTimeout: '5 minutes',
    catchupWindow: '1 minute',
  });
}
