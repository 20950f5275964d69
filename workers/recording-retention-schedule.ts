import type { Client } from '@temporalio/client';
import { RECORDING_RETENTION_SCHEDULE_ID } from '../workflows/recordings/contract';
import { ensureIntervalSchedule } from './schedule';

/** The recording-retention sweep (deletes recordings past their account's retention), hourly by default. */
export function ensureRecordingRetentionSchedule(
  client: Client,
  opts: { taskQueue: string; every?: string; scheduleId?: string },
): Promise<{ scheduleId: string; created: boolean }> {
  return ensureIntervalSchedule(client, {
    scheduleId: opts.scheduleId ?? RECORDING_RETENTION_SCHEDULE_ID,
    workflowType: 'recordingRetentionWorkflow',
    taskQueue: opts.taskQueue,
    args: [{}],
    every: (opts.every ?? '1 hour') as '1 hour',
    runTimeout: '1 hour',
    catchupWindow: '1 hour',
  });
}
