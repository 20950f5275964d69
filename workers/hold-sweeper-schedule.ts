import type { Client } from '@temporalio/client';
import { HOLD_SWEEPER_SCHEDULE_ID, type HoldSweepInput } from '../workflows/call/sweeper';
import { ensureIntervalSchedule } from './schedule';

/** The hold sweeper (pending holds whose call workflow is closed), every 2 minutes by default. */
export function ensureHoldSweeperSchedule(
  client: Client,
  opts: { taskQueue: string; every?: string; scheduleId?: string; input?: HoldSweepInput },
): Promise<{ scheduleId: string; created: boolean }> {
  return ensureIntervalSchedule(client, {
    scheduleId: opts.scheduleId ?? HOLD_SWEEPER_SCHEDULE_ID,
    workflowType: 'holdSweeperWorkflow',
    taskQueue: opts.taskQueue,
    args: [opts.input ?? {}],
    every: (opts.every ?? '2 minutes') as '2 minutes',
    runTimeout: '15 minutes',
    catchupWindow: '2 minutes',
  });
}
