import { proxyActivities } from '@temporalio/workflow';
import type { HoldSweeperActivities } from '../../activities/call/types';

export const HOLD_SWEEPER_SCHEDULE_ID = 'call-hold-sweeper';

export interface HoldSweepInput {
  /** Holds younger than this are left to their workflows (default 120 s). */
  olderThanSec?: number;
}

const { callSweepHolds } = proxyActivities<HoldSweeperActivities>({
  // Each held call may need a Twilio look-up and a settlement: a full page takes a while.
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

/**
 * One pass of the hold sweeper, started by its Schedule (workers/hold-sweeper-schedule.ts):
 * resolves the pending holds of calls whose workflow closed without resolving them (see
 * activities/call/sweeper.ts). A failed pass is simply the next one's work.
 */
export async function holdSweeperWorkflow(
  input: HoldSweepInput = {},
): Promise<{ resolved: string[]; running: number; failed: number }> {
  return callSweepHolds({ olderThanSec: input.olderThanSec ?? 120 });
}
