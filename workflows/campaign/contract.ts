import { defineSignal } from '@temporalio/workflow';
import type { CallResult } from '../call/contract';

/**
 * Sent by each child callWorkflow to its campaign, addressed by workflow id so it reaches the
 * current run after continue-as-new.
 */
export interface CallFinished extends CallResult {
  contactId?: string;
  attempt: number;
}
export const callFinishedSignal = defineSignal<[CallFinished]>('callFinished');
