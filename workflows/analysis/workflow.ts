import { proxyActivities, sleep } from '@temporalio/workflow';
import type { AnalysisActivities, CallAnalyzeResult } from '../../activities/analysis';

const { callAnalyze } = proxyActivities<AnalysisActivities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 3 } });

export const callAnalysisWorkflowId = (callId: string) => `analysis/${callId}`;

/**
 * The separate retry of an analysis that failed or timed out before settlement (the call settled
 * without it): reads the stored transcript and tries again with back-off, 1 min to 1 h, 6 tries.
 */
export async function callAnalysisWorkflow({
  callId,
  delaysMs = [60_000, 300_000, 900_000, 1_800_000, 3_600_000],
}: {
  callId: string;
  delaysMs?: number[];
}): Promise<CallAnalyzeResult> {
  for (let i = 0; ; i++) {
    const r = await callAnalyze({ callId });
    if (r.status !== 'failed' || i >= delaysMs.length) return r;
    await sleep(delaysMs[i]!);
  }
}
