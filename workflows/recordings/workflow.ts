import { proxyActivities } from '@temporalio/workflow';
import type { RecordingActivities } from '../../activities/recordings';
import type { RecordingRetentionInput, RecordingRetentionResult } from './contract';

const { recordingsDeleteExpired } = proxyActivities<RecordingActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 5 },
});

/**
 * One retention pass, started by the `recording-retention` Schedule: delete expired recordings in
 * batches until none are left (or `maxBatches`, so a huge backlog spreads over runs). A recording
 * whose delete failed stays for the next pass.
 */
export async function recordingRetentionWorkflow(input: RecordingRetentionInput = {}): Promise<RecordingRetentionResult> {
  const total = { deleted: 0, failed: 0 };
  for (let i = 0; i < (input.maxBatches ?? 50); i++) {
    const r = await recordingsDeleteExpired({ limit: input.batch ?? 200 });
    total.deleted += r.deleted;
    total.failed += r.failed;
    if (!r.more || r.deleted === 0) break;
  }
  return total;
}
